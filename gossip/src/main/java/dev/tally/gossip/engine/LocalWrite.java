package dev.tally.gossip.engine;

import java.util.List;

/**
 * Changes from one client request that apply all together or not at all (an Increment is one
 * change; an IncrementMany up to a thousand). {@link #NONE} changes nothing: the write pipeline
 * uses it for steps that only write a dedupe record (a fence, a retry answered from another
 * node); the API refuses an empty batch before it gets here.
 */
public record LocalWrite(List<CounterChange> changes) {
  public static final LocalWrite NONE = new LocalWrite(List.of());

  public LocalWrite {
    changes = List.copyOf(changes);
  }

  public static LocalWrite of(CounterChange change) {
    return new LocalWrite(List.of(change));
  }
}
