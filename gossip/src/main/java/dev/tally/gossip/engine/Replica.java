package dev.tally.gossip.engine;

import dev.tally.gossip.crdt.CounterOverflowException;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.membership.Membership;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.gossip.transport.PeerTransport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * One replica of every counter: applies local writes to this node's own entries, and (with the
 * replication parts) merges peers' states, pushes deltas and runs anti-entropy.
 *
 * <p>Concurrency: every field is confined to the replica thread, the single logical thread of
 * {@link Scheduler}. Methods say where they may be called; the replica-thread-only ones check it.
 * Reads of committed states go straight to the {@link StateStore}, from any thread.
 */
public final class Replica {

  private final ReplicaConfig config;
  private final Clock clock;
  private final Scheduler scheduler;
  private final StateStore store;
  private final PeerTransport transport;
  private final Membership membership;
  private final RandomGenerator random;
  private final ReplicaListener listener;

  public Replica(
      ReplicaConfig config,
      Clock clock,
      Scheduler scheduler,
      StateStore store,
      PeerTransport transport,
      Membership membership,
      RandomGenerator random,
      ReplicaListener listener) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.store = Objects.requireNonNull(store, "store");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.membership = Objects.requireNonNull(membership, "membership");
    this.random = Objects.requireNonNull(random, "random");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  public ReplicaConfig config() {
    return config;
  }

  /** Any thread: the committed state of a key on this node. */
  public PnCounter read(String key) {
    return store.get(key);
  }

  /**
   * Replica thread: computes a group of local writes against the current states, in order, without
   * storing anything. Writes to the same key coalesce into one new state; a write whose change
   * would overflow is rejected whole and the others proceed. Call {@link #commit} in the same
   * task, before anything else can change a state.
   */
  public PreparedWrites prepare(List<LocalWrite> writes) {
    checkThread();
    long now = clock.currentTimeMillis();
    Map<String, PnCounter> before = new LinkedHashMap<>();
    Map<String, PnCounter> working = new HashMap<>();
    List<WriteResult> results = new ArrayList<>(writes.size());
    for (LocalWrite write : writes) {
      Map<String, PnCounter> staged = new HashMap<>();
      WriteResult.Overflow overflow = null;
      List<CounterChange> changes = write.changes();
      for (int i = 0; i < changes.size(); i++) {
        CounterChange change = changes.get(i);
        String key = change.key();
        PnCounter current = staged.get(key);
        if (current == null) {
          current = working.get(key);
        }
        if (current == null) {
          current = store.get(key);
          before.put(key, current);
          working.put(key, current);
        }
        try {
          staged.put(key, current.add(config.replicaId(), change.amount(), now, !change.decrement()));
        } catch (CounterOverflowException e) {
          overflow = new WriteResult.Overflow(i, e.getMessage());
          break;
        }
      }
      if (overflow != null) {
        results.add(overflow);
        continue;
      }
      working.putAll(staged);
      List<KeyState> states = new ArrayList<>(changes.size());
      for (CounterChange change : changes) {
        states.add(new KeyState(change.key(), working.get(change.key())));
      }
      results.add(new WriteResult.Applied(states));
    }
    List<KeyState> beforeStates = new ArrayList<>();
    List<KeyState> afterStates = new ArrayList<>();
    for (Map.Entry<String, PnCounter> e : before.entrySet()) {
      PnCounter after = working.get(e.getKey());
      if (after != e.getValue()) {
        beforeStates.add(new KeyState(e.getKey(), e.getValue()));
        afterStates.add(new KeyState(e.getKey(), after));
      }
    }
    return new PreparedWrites(results, beforeStates, afterStates);
  }

  /**
   * Replica thread: stores a prepared group (one atomic, durable store write together with the
   * attachment) and then publishes it. When the store throws, nothing was written or published
   * and the caller fails the group's requests.
   */
  public void commit(PreparedWrites prepared, StoreAttachment attachment) {
    checkThread();
    if (prepared.after().isEmpty() && attachment == StoreAttachment.NONE) {
      return;
    }
    store.write(prepared.after(), attachment);
    if (!prepared.after().isEmpty()) {
      onDurableChange(prepared.before(), prepared.after());
    }
  }

  /** Every durable change, local or merged, passes here once it is in the store. */
  private void onDurableChange(List<KeyState> before, List<KeyState> after) {
    // Replication (digest tree update, delta buffers) hooks in here.
    listener.onChanged(after);
  }

  private void checkThread() {
    if (!scheduler.inThread()) {
      throw new IllegalStateException("called off the replica thread: " + Thread.currentThread().getName());
    }
  }
}
