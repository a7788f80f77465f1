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
 */
final class CheckingStore implements StateStore {
  private final InMemoryStateStore inner = new InMemoryStateStore();
  private final SimWorld world;
  private final Ledger ledger;
  private final String node;
  private final java.util.SplittableRandom random;
  private long writes;
  private double failureRate;

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
