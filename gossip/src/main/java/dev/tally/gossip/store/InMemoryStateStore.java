package dev.tally.gossip.store;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.digest.KeyHash;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * A {@link StateStore} in memory, for the simulator and tests. Everything written is "durable" for
 * as long as the object lives; a simulated crash keeps the object and drops everything else.
 * Thread-safe.
 */
public final class InMemoryStateStore implements StateStore {

  private record Slot(long hash, String key) {}

  private static final Comparator<Slot> ORDER =
      Comparator.comparingLong(Slot::hash).thenComparing(Slot::key);

  private final ConcurrentSkipListMap<Slot, PnCounter> states = new ConcurrentSkipListMap<>(ORDER);
  private final List<StoreAttachment> attachments = new ArrayList<>();

  @Override
  public PnCounter get(String key) {
    return states.getOrDefault(slot(key), PnCounter.EMPTY);
  }

  @Override
  public synchronized void write(Collection<KeyState> batch, StoreAttachment attachment) {
    for (KeyState ks : batch) {
      states.put(slot(ks.key()), ks.state());
    }
    if (attachment != StoreAttachment.NONE) {
      attachments.add(attachment);
    }
  }

  @Override
  public void scan(long fromHash, long toHashExclusive, Consumer<KeyState> visitor) {
    if (fromHash >= toHashExclusive) {
      return;
    }
    Slot from = new Slot(fromHash, "");
    for (Map.Entry<Slot, PnCounter> e : states.tailMap(from, true).entrySet()) {
      if (e.getKey().hash() >= toHashExclusive) {
        break;
      }
      visitor.accept(new KeyState(e.getKey().key(), e.getValue()));
    }
  }

  public int size() {
    return states.size();
  }

  /** Attachments written so far, oldest first. */
  public synchronized List<StoreAttachment> attachments() {
    return List.copyOf(attachments);
  }

  private static Slot slot(String key) {
    return new Slot(Integer.toUnsignedLong(KeyHash.of(key)), key);
  }
}
