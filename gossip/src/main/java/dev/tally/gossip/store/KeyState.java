package dev.tally.gossip.store;

import dev.tally.gossip.crdt.PnCounter;
import java.util.Objects;

/** A counter key with its state. */
public record KeyState(String key, PnCounter state) {
  public KeyState {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(state, "state");
  }
}
