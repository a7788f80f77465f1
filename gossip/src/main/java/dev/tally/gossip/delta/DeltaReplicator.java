package dev.tally.gossip.delta;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.membership.Member;
import dev.tally.gossip.status.InternalErrors;
import dev.tally.gossip.status.ReplicationObserver;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.gossip.topology.ClusterView;
import dev.tally.gossip.transport.PeerTransport;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;

/**
 * Delta push: keeps a {@link PeerBuffer} per peer and ships the buffered keys' latest absolute
 * states at the next gossip tick, or at once when a buffer reaches maxDeltaKeys. At most one push is
 * in flight per peer, so a slow peer only ever slows itself. When a push is acknowledged and keys
 * changed while it was out, the next push leaves at once instead of at the next tick: under load
 * pushes follow one another back to back, each carrying everything that changed during the last
 * round trip (batching that adapts to the peer's speed), and the tick only bounds how long a change
 * waits when no push is out. A failed or timed-out push puts its
 * keys back; a peer whose buffer passes maxPendingKeysPerPeer loses the buffer and is left to
 * anti-entropy ({@link RepairTracker}). Peers that membership does not judge alive are not sent
 * to; their keys wait (and age into needs-repair).
 *
 * <p>A push that cannot be built (the store fails reading a key) puts its keys back and is counted
 * as an internal error of {@link InternalErrors#TASK_DELTA_PUSH}; the next tick tries again, so a
 * passing store failure never leaves a peer's stream stuck "in flight".
 *
 * <p>Concurrency: confined to the replica thread. Transport replies may complete on any thread;
 * they are handed back to the replica thread with {@link Scheduler#execute} before any field is
 * touched.
 */
public final class DeltaReplicator implements RepairTracker {
  /**
   * A push with no reply for this long counts as failed. The transport promises a deadline on every
   * call, so this only guards against a transport that breaks that promise: a lost reply must not
   * stop a peer's stream for good.
   */
  public static final long STALL_NANOS = 60_000_000_000L;

  /** The push in flight to one peer; a reply for an older flight is ignored. */
  private record Flight(long id, long startedNanos, int states) {}

  private final int maxDeltaKeys;
  private final int maxPendingKeysPerPeer;
  private final NodeRef self;
  private final Clock clock;
  private final Scheduler scheduler;
  private final StateStore store;
  private final PeerTransport transport;
  private final ClusterView view;
  private final ReplicationObserver observer;
  private final InternalErrors errors;
  private final TreeMap<String, PeerBuffer> buffers = new TreeMap<>();
  private final Map<String, Flight> flights = new HashMap<>();
  private List<String> targets = List.of();
  private long nextFlightId;
  private boolean closed;

  public DeltaReplicator(
      int maxDeltaKeys,
      int maxPendingKeysPerPeer,
      NodeRef self,
      Clock clock,
      Scheduler scheduler,
      StateStore store,
      PeerTransport transport,
      ClusterView view,
      ReplicationObserver observer,
      InternalErrors errors) {
    this.maxDeltaKeys = maxDeltaKeys;
    this.maxPendingKeysPerPeer = maxPendingKeysPerPeer;
    this.self = self;
    this.clock = clock;
    this.scheduler = scheduler;
    this.store = store;
    this.transport = transport;
    this.view = view;
    this.observer = observer;
    this.errors = errors;
  }

  /** Buffers changed keys for each of {@code peers}, pushing at once to any peer whose buffer is full. */
  public void enqueue(Collection<String> keys, List<String> peers) {
    if (keys.isEmpty() || peers.isEmpty()) {
      return;
    }
    long now = clock.nanoTime();
    for (String peer : peers) {
      PeerBuffer buffer = buffer(peer);
      int dropped = 0;
      for (String key : keys) {
        dropped += buffer.add(key, now, maxPendingKeysPerPeer);
      }
      if (dropped > 0) {
        observer.peerNeedsRepair(peer, dropped);
      }
      if (buffer.pendingCount() >= maxDeltaKeys) {
        pushIfIdle(peer, buffer);
      }
    }
  }

  /** The gossip tick: pushes to every live peer with pending keys and no push in flight. */
  public void tick() {
    long now = clock.nanoTime();
    for (Map.Entry<String, Flight> e : new ArrayList<>(flights.entrySet())) {
      if (now - e.getValue().startedNanos() >= STALL_NANOS) {
        onReply(e.getKey(), buffers.get(e.getKey()), e.getValue().id(), null, new TimeoutException(
            "no reply to a delta push to " + e.getKey() + " for " + STALL_NANOS / 1_000_000_000L + " s"));
      }
    }
    for (Map.Entry<String, PeerBuffer> e : buffers.entrySet()) {
      if (e.getValue().pendingCount() > 0) {
        pushIfIdle(e.getKey(), e.getValue());
      }
    }
  }

  /**
   * The set of peers that receive local changes moved from {@code before} to {@code after}: the
   * pending keys of a remote-DC peer that is no longer a target move to that DC's current targets
   * (now, or when its push in flight fails), so a remote DC whose chosen node died still gets them
   * through another.
   */
  public void retarget(List<String> before, List<String> after) {
    targets = List.copyOf(after);
    Set<String> now = new HashSet<>(after);
    for (String peer : before) {
      if (!now.contains(peer)) {
        handOff(peer);
      }
    }
  }

  /** Moves the pending keys of a remote-DC peer that is no longer a target to its DC's targets. */
  private void handOff(String peer) {
    PeerBuffer old = buffers.get(peer);
    Member member = view.peer(peer);
    if (old == null || member == null || member.dc().equals(self.getDc()) || old.pendingCount() == 0) {
      return;
    }
    Map<String, Long> keys = old.drainPending();
    for (String target : targets) {
      Member t = view.peer(target);
      if (t != null && t.dc().equals(member.dc())) {
        int dropped = buffer(target).absorb(keys, maxPendingKeysPerPeer);
        if (dropped > 0) {
          observer.peerNeedsRepair(target, dropped);
        }
      }
    }
  }

  /** Stops pushing; replies still in flight are ignored. */
  public void close() {
    closed = true;
  }

  /** The peer's buffer, or null if nothing was ever buffered for it. */
  public PeerBuffer bufferOf(String peer) {
    return buffers.get(peer);
  }

  @Override
  public boolean needsRepair(String peer) {
    PeerBuffer b = buffers.get(peer);
    return b != null && b.needsRepair();
  }

  @Override
  public long repairEpoch(String peer) {
    PeerBuffer b = buffers.get(peer);
    return b == null ? 0 : b.dropEpoch();
  }

  @Override
  public void repaired(String peer, long epochAtStart) {
    PeerBuffer b = buffers.get(peer);
    if (b != null) {
      b.repaired(epochAtStart);
    }
  }

  private PeerBuffer buffer(String peer) {
    return buffers.computeIfAbsent(peer, PeerBuffer::new);
  }

  private void pushIfIdle(String peer, PeerBuffer buffer) {
    if (closed || buffer.inFlight() || !view.isAlive(peer)) {
      return;
    }
    List<String> keys = buffer.takeForPush(maxDeltaKeys);
    DeltaBatch message;
    try {
      DeltaBatch.Builder batch = DeltaBatch.newBuilder().setFrom(self);
      for (String key : keys) {
        PnCounter state = store.get(key);
        if (!state.isEmpty()) {
          batch.addStates(StateMessages.toMessage(key, state));
        }
      }
      message = batch.build();
    } catch (RuntimeException e) {
      // Nothing left: the keys go back to pending (not in flight), so the next tick pushes them.
      int dropped = buffer.failed(maxPendingKeysPerPeer);
      if (dropped > 0) {
        observer.peerNeedsRepair(peer, dropped);
      }
      errors.report(InternalErrors.TASK_DELTA_PUSH, e);
      return;
    }
    int states = message.getStatesCount();
    long id = ++nextFlightId;
    flights.put(peer, new Flight(id, clock.nanoTime(), states));
    observer.deltaSent(peer, states, message.getSerializedSize());
    java.util.concurrent.CompletableFuture<DeltaAck> reply;
    try {
      reply = transport.pushDelta(peer, message);
    } catch (RuntimeException e) {
      // The transport broke its promise to fail through the future: fail the push now, not in 60 s.
      errors.report(InternalErrors.TASK_DELTA_PUSH, e);
      onReply(peer, buffer, id, null, e);
      return;
    }
    reply.whenComplete((ack, error) -> scheduler.execute(
        () -> errors.run(InternalErrors.TASK_DELTA_PUSH, () -> onReply(peer, buffer, id, ack, error))));
  }

  private void onReply(String peer, PeerBuffer buffer, long id, DeltaAck ack, Throwable error) {
    Flight flight = flights.get(peer);
    if (closed || flight == null || flight.id() != id) {
      return;
    }
    flights.remove(peer);
    int states = flight.states();
    if (error == null) {
      long[] delays = buffer.inFlightSinceNanos();
      long now = clock.nanoTime();
      for (int i = 0; i < delays.length; i++) {
        delays[i] = Math.max(0, now - delays[i]);
      }
      buffer.acked(clock.currentTimeMillis());
      observer.deltaAcked(peer, states, ack.getChanged());
      observer.deltaDelays(peer, delays);
      if (buffer.pendingCount() > 0) {
        pushIfIdle(peer, buffer);
      }
    } else {
      int dropped = buffer.failed(maxPendingKeysPerPeer);
      observer.deltaFailed(peer, states, error);
      if (dropped > 0) {
        observer.peerNeedsRepair(peer, dropped);
      }
      if (!targets.contains(peer)) {
        // It stopped being a target while the push was out: its DC gets the keys through another node.
        handOff(peer);
      }
    }
  }
}
