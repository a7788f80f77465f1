package dev.tally.gossip.sim;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.InMemoryStateStore;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import java.util.Collection;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A node's durable state: an {@link InMemoryStateStore} that survives crashes (the simulator keeps
 * the object) and checks the safety invariant on every write: no state stored anywhere may count
 * more of a replica's entry than that replica ever wrote.
 *
 * <p>It also plays the node's store writer thread for pipelined local writes, with the node's
 * rules: {@link #writeAsync} queues a write; {@link #landNext} (an event the simulator schedules
 * after an I/O delay) writes the oldest; a synchronous {@link #write} (merges, commits) lands every
 * queued write first. When a queued write fails, every write queued behind it and every
 * synchronous write fails too, until {@link #clearFailedWrites} (the engine has dropped what was built
 * on it). A crash loses the queue, never what has landed.
 */
final class CheckingStore implements StateStore {
  private final InMemoryStateStore inner = new InMemoryStateStore();
  private final SimWorld world;
  private final Ledger ledger;
  private final String node;
  private final java.util.SplittableRandom random;
  private long writes;
  private double failureRate;
  private final java.util.ArrayDeque<QueuedWrite> queued = new java.util.ArrayDeque<>();
  private boolean poisoned;

  /** A pipelined write (a local group or a delta merge) waiting for the simulated writer thread. */
  private record QueuedWrite(java.util.List<KeyState> states, java.util.concurrent.CompletableFuture<Long> done) {}

  CheckingStore(SimWorld world, Ledger ledger, String node, java.util.SplittableRandom random) {
    this.world = world;
    this.ledger = ledger;
    this.node = node;
    this.random = random;
  }

  /** From now on each write fails (writing nothing) with this probability, like a full disk. */
  void failWrites(double rate) {
    failureRate = rate;
  }

  @Override
  public PnCounter get(String key) {
    return inner.get(key);
  }

  @Override
  public void write(Collection<KeyState> states, StoreAttachment attachment) {
    while (!queued.isEmpty()) {
      landNext();
    }
    if (poisoned) {
      world.trace(node, "store write of " + states.size() + " states skipped: a queued write it builds on failed");
      throw new StoreException("skipped on " + node + ": an earlier write it builds on failed");
    }
    writeNow(states, attachment);
  }

  /**
   * Queues a write behind every earlier one, as the node's store does, and schedules the writer
   * thread's next step after a random I/O delay (on the calling incarnation: a crash drops it).
   */
  @Override
  public java.util.concurrent.CompletableFuture<Long> writeAsync(Collection<KeyState> states, StoreAttachment attachment) {
    QueuedWrite w = new QueuedWrite(java.util.List.copyOf(states), new java.util.concurrent.CompletableFuture<>());
    queued.addLast(w);
    world.schedule(world.current(), (long) (random.nextDouble() * 3_000_000L), this::landNext);
    return w.done();
  }

  /** The writer thread's next step: writes the oldest queued write, or fails it after a failure. */
  void landNext() {
    QueuedWrite w = queued.pollFirst();
    if (w == null) {
      return;
    }
    if (poisoned) {
      world.trace(node, "queued write of " + w.states().size() + " states skipped: an earlier one failed");
      w.done().completeExceptionally(new StoreException("skipped on " + node + ": an earlier write it builds on failed"));
      return;
    }
    try {
      writeNow(w.states(), StoreAttachment.NONE);
    } catch (StoreException e) {
      poisoned = true;
      w.done().completeExceptionally(e);
      return;
    }
    w.done().complete(0L);
  }

  /** The engine dropped everything built on a failed write: writes queued before now fail, later ones go. */
  @Override
  public void clearFailedWrites() {
    if (!poisoned) {
      return; // a second report of the same failure: writes queued since are clean
    }
    while (!queued.isEmpty()) {
      QueuedWrite w = queued.pollFirst();
      world.trace(node, "queued write of " + w.states().size() + " states skipped: handed over before the clear");
      w.done().completeExceptionally(new StoreException("skipped on " + node + ": handed over before the failure was cleared"));
    }
    poisoned = false;
  }

  /** A crash: the queued writes never reach the disk. */
  void loseQueued() {
    while (!queued.isEmpty()) {
      queued.pollFirst().done().completeExceptionally(new StoreException("lost in a crash of " + node));
    }
    poisoned = false;
  }

  private void writeNow(Collection<KeyState> states, StoreAttachment attachment) {
    if (failureRate > 0 && random.nextDouble() < failureRate) {
      world.trace(node, "store write of " + states.size() + " states fails (injected)");
      throw new StoreException("injected store failure on " + node);
    }
    for (KeyState ks : states) {
      String problem = ledger.overCounted(node, ks.key(), ks.state());
      if (problem != null) {
        world.fail(problem);
      }
    }
    writes++;
    inner.write(states, attachment);
  }

  @Override
  public void scan(long fromHash, long toHashExclusive, Consumer<KeyState> visitor) {
    inner.scan(fromHash, toHashExclusive, visitor);
  }

  long writes() {
    return writes;
  }

  /** Every key's state, by key. */
  TreeMap<String, PnCounter> dump() {
    TreeMap<String, PnCounter> out = new TreeMap<>();
    inner.scanAll(ks -> out.put(ks.key(), ks.state()));
    return out;
  }
}
