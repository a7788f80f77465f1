package dev.tally.gossip.engine;

import java.util.List;

/**
 * Changes from one client request that apply all together or not at all (an Increment is one
 * change; an IncrementMany up to a thousand).
 */
public record LocalWrite(List<CounterChange> changes) {
  public LocalWrite {
    changes = List.copyOf(changes);
    if (changes.isEmpty()) {
      throw new IllegalArgumentException("a write needs at least one change");
    }
  }

  public static LocalWrite of(CounterChange change) {
    return new LocalWrite(List.of(change));
  }
}
