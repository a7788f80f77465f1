package dev.tally.gossip.engine;

import dev.tally.gossip.store.KeyState;
import java.util.List;

/** What became of one {@link LocalWrite} inside a prepared group. */
public sealed interface WriteResult {

  /**
   * Applied. {@code states} has one entry per change of the write, in order: the key's state once
   * the whole write (and every write before it in the group) was applied.
   */
  record Applied(List<KeyState> states) implements WriteResult {
    public Applied {
      states = List.copyOf(states);
    }
  }

  /**
   * Rejected because change {@code changeIndex} would overflow; nothing of this write is applied,
   * and the other writes of the group are unaffected.
   */
  record Overflow(int changeIndex, String message) implements WriteResult {}
}
