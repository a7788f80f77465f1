package dev.tally.gossip.engine;

import dev.tally.gossip.antientropy.AntiEntropy;
import dev.tally.gossip.crdt.CounterOverflowException;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.delta.DeltaReplicator;
import dev.tally.gossip.delta.PeerBuffer;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.gossip.identity.ReplicaIdAuthority;
import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.membership.Membership;
import dev.tally.gossip.merge.PeerInput;
import dev.tally.gossip.quorum.QuorumCoordinator;
import dev.tally.gossip.quorum.QuorumException;
import dev.tally.gossip.status.InternalErrors;
import dev.tally.gossip.status.PeerStatus;
import dev.tally.gossip.status.ReplicationObserver;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.gossip.topology.ClusterView;
import dev.tally.gossip.topology.Topology;
import dev.tally.gossip.transport.PeerTransport;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.BucketSyncResponse;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReadStatesResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of every counter: applies local writes to this node's own entries, merges peers'
 * states, pushes deltas, runs anti-entropy and serves QUORUM reads and writes.
 *
 * <h2>How the node drives it</h2>
 *
 * <ol>
 *   <li>Build it over the node's store, transport and membership, then call {@link #start()} and
 *       wait for it (it rebuilds the digest tree from the store) before opening the peer port.
 *   <li>Local writes: {@link #prepare} then {@link #commit} in one replica-thread task (the node's
 *       group commit). Committing is all it takes to replicate them. Or pipelined, so the next
 *       group is prepared while the store writes this one: {@link #prepare}, hand the states to
 *       the store's ordered asynchronous write, {@link #stage} with the store's future; the
 *       future {@code stage} returns completes on the replica thread once the write is durable
 *       and published, or fails when it was not written (the replica has then dropped it and
 *       everything staged after it, and let the store write again).
 *   <li>Peer calls: the PeerService hands each request to {@link #onPushDelta},
 *       {@link #onCompareDigest}, {@link #onSyncBuckets} or {@link #onReadStates} from its own
 *       thread (never blocking a gRPC event loop: they return at once) and answers when the future
 *       completes. A future failing with {@link IllegalArgumentException} means bad peer input
 *       (INVALID_ARGUMENT; nothing changed), with {@link IllegalStateException} that the replica is
 *       not running (UNAVAILABLE), with {@link dev.tally.gossip.merge.PeerLimitException} that a
 *       key passed max-entries-per-key (RESOURCE_EXHAUSTED; the other keys merged); anything else
 *       is internal.
 *   <li>QUORUM consistency: {@link #quorumRead} and, after committing, {@link #replicateToQuorum};
 *       a {@link QuorumException} says how far it got.
 *   <li>{@link #peerStatus()} for {@code tally status}; a {@link ReplicationObserver} for metrics.
 *   <li>{@link #close()} on shutdown.
 * </ol>
 *
 * <h2>Concurrency</h2>
 *
 * Every field except {@code closed} and {@code status} is confined to the replica thread, the single
 * logical thread of {@link Scheduler}; so are the components it owns (digest tree, delta buffers,
 * anti-entropy, quorum, cluster view). Every public entry point either checks that it runs there
 * ({@link #prepare}, {@link #commit}) or hops there with {@link Scheduler#execute}; transport replies
 * and membership events hop there too before touching anything. {@code closed} (volatile) lets any
 * thread refuse new work once {@link #close()} was called; {@code status} (volatile, immutable list)
 * is republished on the replica thread every gossip tick and on membership changes, so
 * {@link #peerStatus()} never touches replica-thread state. The listener, the observer and result
 * futures are called on the replica thread and must not block. Committed states are read straight
 * from the {@link StateStore}, from any thread.
 */
public final class Replica {
  private static final Logger LOG = LoggerFactory.getLogger(Replica.class);

  private final ReplicaConfig config;
  private final Clock clock;
  /** The node's replica thread, for hops whose caller waits on a future (they must fail if refused). */
  private final Scheduler replicaThread;
  /** The same thread for everything else: replies and events arriving after shutdown are dropped. */
  private final Scheduler scheduler;
  private final StateStore store;
  private final Membership membership;
  private final RandomGenerator random;
  private final ReplicaListener listener;
  private final ReplicationObserver observer;
  /** Counts and logs what the timer tasks throw, so each runs again next round (issue 11, defect 4). */
  private final InternalErrors errors;
  private final ReplicaIdAuthority authority;
  /** When the last refusal of peer input was logged (virtual nanos), so a repeating one logs rarely. */
  private long lastRefusalLogNanos = Long.MIN_VALUE;
  private final NodeRef self;
  /** Written on the replica thread only; volatile so status and metrics may read it anywhere. */
  private volatile long replicaId;

  private final ClusterView view;
  private final DigestTree tree;
  private final DeltaReplicator deltas;
  private final AntiEntropy antiEntropy;
  private final QuorumCoordinator quorum;

  /**
   * Writes handed to the store but not yet published, oldest first: the node's local groups and
   * the merges of peers' delta pushes. The store writes in order, so when one is durable so is
   * every one before it.
   */
  private final ArrayDeque<Staged> staged = new ArrayDeque<>();
  /** The newest state of each key a staged group changes: what the next prepare or merge builds on. */
  private final Map<String, PnCounter> stagedStates = new HashMap<>();
  /**
   * Delta pushes that changed nothing because staged writes already cover them, by the token of the
   * newest staged write when they came: their ack must wait until that write is durable, or a peer
   * would count (for QUORUM) a state this node could still lose or not yet serve to readers.
   */
  private final Map<Object, List<CompletableFuture<Integer>>> coveredByStaged = new IdentityHashMap<>();

  /**
   * A staged write: the states it changes, where they came from (null: a local group), what
   * identifies it ({@link PreparedWrites} for a local group), the store's future for its write,
   * and what its owner waits for: completed once it is published, failed once it is dropped.
   */
  private record Staged(Object token, List<KeyState> before, List<KeyState> after, NodeRef origin,
      CompletableFuture<Long> written, CompletableFuture<Long> settled) {}

  private final AtomicBoolean startCalled = new AtomicBoolean();
  private boolean started;
  private long targetsVersion = -1;
  private List<String> localTargets = List.of();
  private Scheduler.Cancellable gossipTimer;
  private Scheduler.Cancellable antiEntropyTimer;

  private volatile boolean closed;
  private volatile List<PeerSnapshot> status = List.of();

  /** What {@link #peerStatus()} reads: replica-thread facts frozen at the last publication. */
  private record PeerSnapshot(String name, String dc, MemberState state, long oldestUnackedNanos, int pendingKeys,
      boolean needsRepair, long lastAckMillis, boolean deltaTarget) {}

  public Replica(
      ReplicaConfig config,
      Clock clock,
      Scheduler scheduler,
      StateStore store,
      PeerTransport transport,
      Membership membership,
      RandomGenerator random,
      ReplicaListener listener) {
    this(config, clock, scheduler, store, transport, membership, random, listener, ReplicationObserver.NONE);
  }

  /**
   * @param clock must be thread-safe ({@link #peerStatus()} reads it from any thread)
   * @param random the replica's only source of randomness (peer choice, timer jitter)
   * @param listener told of every durable change, local or merged, on the replica thread
   * @param observer told of replication events, on the replica thread
   */
  public Replica(
      ReplicaConfig config,
      Clock clock,
      Scheduler scheduler,
      StateStore store,
      PeerTransport transport,
      Membership membership,
      RandomGenerator random,
      ReplicaListener listener,
      ReplicationObserver observer) {
    this(config, clock, scheduler, store, transport, membership, random, listener, observer, null);
  }

  /**
   * @param authority says which replica ids members announced and takes a new id when a peer holds
   *     this node's own entry ahead; null: every id counts as announced, and a new id is drawn from
   *     {@code random} and kept in memory only (tests of the engine alone)
   */
  public Replica(
      ReplicaConfig config,
      Clock clock,
      Scheduler scheduler,
      StateStore store,
      PeerTransport transport,
      Membership membership,
      RandomGenerator random,
      ReplicaListener listener,
      ReplicationObserver observer,
      ReplicaIdAuthority authority) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.replicaThread = Objects.requireNonNull(scheduler, "scheduler");
    this.scheduler = new ShutdownTolerantScheduler(scheduler);
    this.store = Objects.requireNonNull(store, "store");
    Objects.requireNonNull(transport, "transport");
    this.membership = Objects.requireNonNull(membership, "membership");
    this.random = Objects.requireNonNull(random, "random");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.observer = Objects.requireNonNull(observer, "observer");
    this.errors = new InternalErrors(clock, observer);
    this.authority = authority != null ? authority : new InMemoryIds(random);
    this.self = NodeRef.newBuilder().setName(config.nodeName()).setDc(config.dc()).build();
    this.replicaId = config.replicaId();
    this.view = new ClusterView(config.nodeName(), config.dc());
    this.tree = new DigestTree(config.digestTreeDepth());
    this.deltas = new DeltaReplicator(config.maxDeltaKeys(), config.maxPendingKeysPerPeer(), self, clock,
        scheduler, store, transport, view, observer, errors);
    this.antiEntropy = new AntiEntropy(self, tree, clock, scheduler, store, transport, view, this::mergeFromPeer,
        deltas, random, observer, errors, config.maxPeerMessageBytes());
    this.quorum = new QuorumCoordinator(self, config.quorumTimeout(), scheduler, store, transport, view,
        this::mergeFromPeer, antiEntropy::caughtUp, config.maxPeerMessageBytes());
  }

  public ReplicaConfig config() {
    return config;
  }

  /** The id local writes go under now: the configured one until {@link #useReplicaId}. */
  public long replicaId() {
    return replicaId;
  }

  /**
   * Any thread: local writes prepared from now on go under {@code id}. For a start that could not
   * prove its data dir current (see {@code dev.tally.gossip.identity}); call before the first write.
   */
  public CompletableFuture<Void> useReplicaId(long id) {
    if (id == 0) {
      throw new IllegalArgumentException("replica id must not be 0");
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    scheduler.execute(() -> {
      replicaId = id;
      done.complete(null);
    });
    return done;
  }

  /** Any thread: the committed state of a key on this node. */
  public PnCounter read(String key) {
    return store.get(key);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Any thread, once: builds the digest tree from the store (one full scan, the only one), reads
   * the current members, starts the gossip and anti-entropy timers, and schedules an early
   * exchange with every known peer (a restarted node has lost its delta buffers, so peers may lack
   * its latest changes). Completes on the replica thread when the replica serves peers.
   */
  public CompletableFuture<Void> start() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!startCalled.compareAndSet(false, true)) {
      done.completeExceptionally(new IllegalStateException("start() was already called"));
      return done;
    }
    membership.addListener(member -> scheduler.execute(
        () -> errors.run(InternalErrors.TASK_MEMBERSHIP, () -> onMember(member))));
    Runnable startTask = () -> {
      if (closed) {
        done.completeExceptionally(new IllegalStateException("the replica was closed before it started"));
        return;
      }
      try {
        tree.rebuild(store);
        for (Member member : membership.peers()) {
          onMember(member);
        }
        started = true;
        for (Member member : view.peers()) {
          antiEntropy.prioritise(member.name());
        }
        gossipTimer = scheduler.schedule(config.gossipInterval(), this::gossipTick);
        antiEntropyTimer = scheduler.schedule(jitter(config.antiEntropyInterval()), this::antiEntropyTick);
        publishStatus();
        done.complete(null);
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    };
    try {
      replicaThread.execute(startTask);
    } catch (RuntimeException e) {
      done.completeExceptionally(new IllegalStateException("the replica thread refused the start task", e));
    }
    return done;
  }

  /**
   * Any thread, idempotent: stops the timers, abandons the anti-entropy exchange, fails running
   * quorum operations and refuses every later call. Committed state is untouched; changes not yet
   * pushed reach peers by anti-entropy after the node comes back.
   */
  public void close() {
    closed = true;
    if (scheduler.inThread()) {
      shutDown();
    } else {
      scheduler.execute(this::shutDown);
    }
  }

  private void shutDown() {
    if (gossipTimer != null) {
      gossipTimer.cancel();
    }
    if (antiEntropyTimer != null) {
      antiEntropyTimer.cancel();
    }
    deltas.close();
    antiEntropy.close();
    quorum.close();
  }

  // ---------------------------------------------------------------- local writes

  /**
   * Replica thread: computes a group of local writes against the current states, in order, without
   * storing anything. Writes to the same key coalesce into one new state; a write whose change
   * would overflow is rejected whole and the others proceed. Builds on the states of staged groups
   * (see {@link #stage}) where there are any. Call {@link #commit}, or hand the states to the store
   * and call {@link #stage}, in the same task, before anything else can change a state.
   */
  public PreparedWrites prepare(List<LocalWrite> writes) {
    checkThread();
    long now = clock.currentTimeMillis();
    long self = replicaId;
    int totalChanges = 0;
    for (LocalWrite write : writes) {
      totalChanges += write.changes().size();
    }
    // One slot per key, looked up once per change; a write that overflows is undone from its log.
    Map<String, Slot> slots = new HashMap<>(Math.max(16, (int) (Math.min(totalChanges, 1 << 20) / 0.75f) + 1));
    List<Slot> firstTouched = new ArrayList<>();
    List<WriteResult> results = new ArrayList<>(writes.size());
    Slot[] touched = new Slot[16];
    PnCounter[] undo = new PnCounter[16];
    for (LocalWrite write : writes) {
      List<CounterChange> changes = write.changes();
      int n = changes.size();
      if (touched.length < n) {
        touched = new Slot[n];
        undo = new PnCounter[n];
      }
      WriteResult.Overflow overflow = null;
      int i = 0;
      for (; i < n; i++) {
        CounterChange change = changes.get(i);
        String key = change.key();
        Slot slot = slots.get(key);
        if (slot == null) {
          slot = new Slot(key, latest(key));
          slots.put(key, slot);
          firstTouched.add(slot);
        }
        try {
          PnCounter next = slot.current.add(self, change.amount(), now, !change.decrement());
          touched[i] = slot;
          undo[i] = slot.current;
          slot.current = next;
        } catch (CounterOverflowException e) {
          overflow = new WriteResult.Overflow(i, e.getMessage());
          break;
        }
      }
      if (overflow != null) {
        // Newest first, so every key goes back to the state this write found.
        for (int j = i - 1; j >= 0; j--) {
          touched[j].current = undo[j];
        }
        results.add(overflow);
        continue;
      }
      KeyState[] states = new KeyState[n];
      for (int j = 0; j < n; j++) {
        states[j] = new KeyState(touched[j].key, touched[j].current);
      }
      results.add(new WriteResult.Applied(List.of(states)));
    }
    List<KeyState> beforeStates = new ArrayList<>(firstTouched.size());
    List<KeyState> afterStates = new ArrayList<>(firstTouched.size());
    for (Slot slot : firstTouched) {
      if (slot.current != slot.before) {
        beforeStates.add(new KeyState(slot.key, slot.before));
        afterStates.add(new KeyState(slot.key, slot.current));
      }
    }
    return new PreparedWrites(results, beforeStates, afterStates);
  }

  /** A key's state during one {@link #prepare}: where the group found it and where it is now. */
  private static final class Slot {
    final String key;
    final PnCounter before;
    PnCounter current;

    Slot(String key, PnCounter before) {
      this.key = key;
      this.before = before;
      this.current = before;
    }
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
    // The store writes in order: every staged group went to it before this write, so is durable.
    publishStaged(null);
    if (!prepared.after().isEmpty()) {
      onDurableChange(prepared.before(), prepared.after(), null);
    }
  }

  /**
   * Replica thread: the node has handed {@code prepared}'s after-states to the store's ordered
   * asynchronous write, whose future is {@code written} (in this same task, right after {@link
   * #prepare}). Until it is durable, later prepares and merges build on these states, while
   * readers, Watch, deltas and anti-entropy still see only what the store holds (the store makes
   * a write visible only once it is durable).
   *
   * <p>The returned future completes on the replica thread with the store's nanoseconds once the
   * write is durable and published, or fails with the store's exception when it was not written.
   * Staged writes settle here strictly in the order they were staged, which is the store's write
   * order: one place decides, so a failure is always handled before anything staged after it.
   * When one fails, every write staged after it was built on its states and was handed over in
   * the same failure epoch, so the store skips them all; they are dropped here at once, in
   * memory as on disk, and only then may the store write again ({@link
   * StateStore#clearFailedWrites}). What is acknowledged therefore always equals what is durable.
   */
  public CompletableFuture<Long> stage(PreparedWrites prepared, CompletableFuture<Long> written) {
    checkThread();
    // Staged even when it changes no counter (a write of dedupe records only): it settles in store
    // order with the rest, and its failure closes the store's failed epoch like any other.
    return stageWrite(prepared, prepared.before(), prepared.after(), null, written);
  }

  private CompletableFuture<Long> stageWrite(Object token, List<KeyState> before, List<KeyState> after, NodeRef origin,
      CompletableFuture<Long> written) {
    Staged s = new Staged(token, before, after, origin, written, new CompletableFuture<>());
    staged.addLast(s);
    for (KeyState ks : s.after()) {
      stagedStates.put(ks.key(), ks.state());
    }
    written.whenComplete((nanos, error) -> {
      try {
        scheduler.execute(this::settleStaged);
      } catch (RuntimeException e) {
        // The replica thread is gone (shutdown): nobody is left to publish or to wait.
        LOG.debug("a staged write finished after the replica thread stopped");
      }
    });
    return s.settled();
  }

  /**
   * Replica thread: publishes, oldest first, every staged write whose store write has finished,
   * and drops everything staged from the first one that failed. Runs by itself after each store
   * write; the node's shutdown calls it directly while it waits on the replica thread.
   */
  public void settleStaged() {
    checkThread();
    while (!staged.isEmpty() && staged.peekFirst().written().isDone()) {
      Staged head = staged.peekFirst();
      Long nanos;
      try {
        nanos = head.written().join();
      } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        dropAllStaged(cause);
        store.clearFailedWrites();
        return;
      }
      publishStaged(head.token());
    }
  }

  /**
   * The head of the staged writes failed: it and every write staged after it (built on it, skipped
   * by the store) are forgotten, and the next prepare builds on the store again.
   */
  private void dropAllStaged(Throwable headFailure) {
    boolean head = true;
    StoreException skipped = new StoreException(
        "not written: an earlier write it builds on failed (nothing of either was written)", headFailure);
    while (!staged.isEmpty()) {
      Staged s = staged.pollFirst();
      if (s.written().isDone() && !s.written().isCompletedExceptionally()) {
        // The store's order promise broke: this write is durable although one before it was not.
        LOG.error("a write staged after a failed one was written anyway; its states are durable but unpublished");
      }
      List<CompletableFuture<Integer>> waiting = coveredByStaged.remove(s.token());
      if (waiting != null) {
        StoreException notWritten = new StoreException(
            "the staged write that covered this delta push was not written; push it again", headFailure);
        waiting.forEach(w -> w.completeExceptionally(notWritten));
      }
      s.settled().completeExceptionally(head ? headFailure : skipped);
      head = false;
    }
    stagedStates.clear();
  }

  /** Staged writes (local groups and delta merges) not yet published, for tests and metrics. */
  public int stagedGroups() {
    return staged.size();
  }

  /** Publishes staged writes oldest first, up to and including {@code lastToken}'s (all when null). */
  private void publishStaged(Object lastToken) {
    while (!staged.isEmpty()) {
      Staged s = staged.pollFirst();
      for (KeyState ks : s.after()) {
        // A later staged write may have changed the key again; then its state stays the base.
        if (stagedStates.get(ks.key()) == ks.state()) {
          stagedStates.remove(ks.key());
        }
      }
      try {
        if (!s.after().isEmpty()) {
          onDurableChange(s.before(), s.after(), s.origin());
        }
      } catch (RuntimeException e) {
        // Durable already: publishing (digest, deltas, listeners) failing must not fail the write.
        LOG.error("publishing a durable write failed; the write stands", e);
      }
      List<CompletableFuture<Integer>> waiting = coveredByStaged.remove(s.token());
      if (waiting != null) {
        waiting.forEach(w -> w.complete(0));
      }
      // The store wrote it (a later ordered write that returned, or its own future, says so).
      s.settled().complete(s.written().isDone() && !s.written().isCompletedExceptionally() ? s.written().join() : 0L);
      if (s.token() == lastToken) {
        return;
      }
    }
  }

  /**
   * The newest states of the keys whose incoming state the store does not cover yet while a staged
   * write does (a merge that changes nothing may still not be durable here).
   */
  private List<KeyState> coveredOnlyByStaged(List<KeyState> incoming) {
    List<KeyState> out = new ArrayList<>();
    for (KeyState ks : incoming) {
      PnCounter stagedState = stagedStates.get(ks.key());
      if (stagedState != null && !store.get(ks.key()).covers(ks.state())) {
        out.add(new KeyState(ks.key(), stagedState));
      }
    }
    return out;
  }

  /** A key's newest state: a staged group's, else the store's. */
  private PnCounter latest(String key) {
    PnCounter s = stagedStates.get(key);
    return s != null ? s : store.get(key);
  }

  /**
   * Every durable change, local or merged, passes here once it is in the store: the digest tree,
   * the delta buffers (local changes to the topology's targets; changes merged from another DC
   * relayed to this DC's peers) and the listener learn of it.
   *
   * @param origin the peer the change came from, null for a local write
   */
  private void onDurableChange(List<KeyState> before, List<KeyState> after, NodeRef origin) {
    List<String> keys = new ArrayList<>(after.size());
    for (int i = 0; i < after.size(); i++) {
      KeyState next = after.get(i);
      tree.update(next.key(), before.get(i).state(), next.state());
      keys.add(next.key());
    }
    refreshTargets();
    List<String> targets = origin == null ? localTargets : Topology.relayTargets(view, origin.getDc());
    deltas.enqueue(keys, targets);
    try {
      listener.onChanged(after);
    } catch (RuntimeException e) {
      // The change is durable and replicating; a failing listener must not make it look failed.
      LOG.warn("replica listener failed on {} changed keys", after.size(), e);
    }
  }

  /** A merge computed against the newest states: the keys it changes, before and after. */
  private record MergePlan(List<KeyState> before, List<KeyState> after, String refusal) {}

  /**
   * Plans a merge of peer states against the newest local ones, refusing what peer input must
   * never do here:
   *
   * <ul>
   *   <li>carry this node's own current entry ahead of the local one. Only this node writes that
   *       entry, so a peer ahead of it means this node's data is older than what it once wrote
   *       (a rolled-back or cloned dir) or the peer is wrong. The entry is dropped and the rest of
   *       the key's state (other replicas' entries, each valid on its own) merges: refusing the
   *       whole key would keep it from converging, since every later exchange carries the same
   *       entry. Then the node takes a new replica id before its next local write, since
   *       increments written under the old one could hide under the peer's bigger entry. The old
   *       id is retired, not protected: later messages carrying it merge like any other replica's,
   *       which is how a rolled-back node gets back what its peers hold of it.
   *   <li>grow a key past maxEntriesPerKey entries: that key is refused (the rest merges).
   * </ul>
   *
   * Entries new to this node naming replica ids no member announced are merged but counted.
   */
  private MergePlan planMerge(List<KeyState> states, NodeRef from) {
    Map<String, PnCounter> incoming = new LinkedHashMap<>();
    for (KeyState ks : states) {
      incoming.merge(ks.key(), ks.state(), PnCounter::merge);
    }
    long own = replicaId;
    List<KeyState> before = new ArrayList<>();
    List<KeyState> after = new ArrayList<>();
    String ownAheadKey = null;
    String refusal = null;
    int unknown = 0;
    for (Map.Entry<String, PnCounter> e : incoming.entrySet()) {
      // Built on staged states too, so the merged state never drops a staged local increment.
      PnCounter current = latest(e.getKey());
      PnCounter theirs = e.getValue();
      if (Long.compareUnsigned(theirs.p(own), current.p(own)) > 0
          || Long.compareUnsigned(theirs.n(own), current.n(own)) > 0) {
        theirs = without(theirs, own);
        if (ownAheadKey == null) {
          ownAheadKey = e.getKey();
        }
        observer.ownEntryAhead(from.getName(), e.getKey());
      }
      for (int i = 0; i < theirs.size(); i++) {
        PnCounter.Entry entry = theirs.entryAt(i);
        if ((Long.compareUnsigned(entry.p(), current.p(entry.replica())) > 0
            || Long.compareUnsigned(entry.n(), current.n(entry.replica())) > 0)
            && !authority.announced(entry.replica())) {
          unknown++;
        }
      }
      PnCounter merged = current.merge(theirs);
      if (merged.size() > config.maxEntriesPerKey() && merged.size() > current.size()) {
        observer.entriesPerKeyRefused(from.getName(), e.getKey(), merged.size());
        if (refusal == null) {
          refusal = "key '" + e.getKey() + "' would have " + merged.size() + " replica entries on node "
              + config.nodeName() + ", more than its max-entries-per-key of " + config.maxEntriesPerKey()
              + "; it was not merged (the message's other keys were)";
        }
        logRefusal("refused key '{}' from peer {}: merging it would give it {} replica entries, more than"
            + " max-entries-per-key ({}); the key keeps its {} entries here", e.getKey(), from.getName(),
            merged.size(), config.maxEntriesPerKey(), current.size());
        continue;
      }
      if (merged != current) {
        before.add(new KeyState(e.getKey(), current));
        after.add(new KeyState(e.getKey(), merged));
      }
    }
    if (unknown > 0) {
      observer.unknownReplicaEntries(from.getName(), unknown);
    }
    if (ownAheadKey != null) {
      String reason = "peer " + from.getName() + " sent this node's own entry (replica " + ReplicaIds.format(own)
          + ") of key '" + ownAheadKey + "' ahead of the local one: this node's data is older than what it wrote"
          + " (a rolled-back or copied data dir) or the peer is wrong";
      long fresh = authority.rotate(own, reason);
      if (fresh == 0 || fresh == own) {
        throw new AssertionError("the replica id authority returned " + ReplicaIds.format(fresh) + " for a new id");
      }
      replicaId = fresh;
      LOG.warn("{}; the entry was not merged, and local writes go under new replica id {} from now on (the old"
          + " id's entries stay, frozen)", reason, ReplicaIds.format(fresh));
    }
    return new MergePlan(before, after, refusal);
  }

  private static PnCounter without(PnCounter state, long replica) {
    List<PnCounter.Entry> kept = new ArrayList<>(state.size());
    for (int i = 0; i < state.size(); i++) {
      PnCounter.Entry entry = state.entryAt(i);
      if (entry.replica() != replica) {
        kept.add(entry);
      }
    }
    return PnCounter.of(kept);
  }

  /** Logs a refusal of peer input at most once a minute: a peer repeats it every exchange. */
  private void logRefusal(String format, Object... args) {
    long now = clock.nanoTime();
    if (lastRefusalLogNanos == Long.MIN_VALUE || now - lastRefusalLogNanos >= 60_000_000_000L) {
      lastRefusalLogNanos = now;
      LOG.warn(format, args);
    }
  }

  /** Without a node behind it: announced means anything, and a new id lives in memory only. */
  private static final class InMemoryIds implements ReplicaIdAuthority {
    private final RandomGenerator random;

    InMemoryIds(RandomGenerator random) {
      this.random = random;
    }

    @Override
    public boolean announced(long replicaId) {
      return true;
    }

    @Override
    public long rotate(long current, String reason) {
      long id;
      do {
        id = random.nextLong();
      } while (id == 0 || id == current);
      return id;
    }
  }

  /**
   * Replica thread: the {@link dev.tally.gossip.merge.StateMerger} of anti-entropy and read repair.
   * The states are merged mergeChunkKeys at a time, each chunk staged like a delta push's merge
   * (the replica thread does not wait for the disk), and the next chunk is a task of its own
   * queued behind whatever is waiting (the write pipeline's groups), so a merge of any size holds
   * local writes up for one chunk at most (issue 11, defect 10b). Completes once every chunk is
   * durable and published, with the number of keys changed; stops at the first chunk that was
   * not written and fails with its error.
   */
  private CompletableFuture<Integer> mergeFromPeer(List<KeyState> states, NodeRef from) {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    mergeChunk(states, 0, from, new ArrayList<>(), done);
    return done;
  }

  private void mergeChunk(List<KeyState> states, int offset, NodeRef from, List<CompletableFuture<Integer>> chunks,
      CompletableFuture<Integer> done) {
    boolean failed = chunks.stream().anyMatch(CompletableFuture::isCompletedExceptionally);
    if (closed) {
      done.completeExceptionally(new IllegalStateException("the replica was closed during a merge"));
      return;
    }
    if (!failed && offset < states.size()) {
      int end = Math.min(states.size(), offset + config.mergeChunkKeys());
      CompletableFuture<Integer> chunk = new CompletableFuture<>();
      chunks.add(chunk);
      mergeFromPeerAsync(states.subList(offset, end), from, chunk);
      if (end < states.size()) {
        scheduler.execute(() -> mergeChunk(states, end, from, chunks, done));
        return;
      }
    }
    CompletableFuture.allOf(chunks.toArray(new CompletableFuture<?>[0])).whenComplete((v, error) -> {
      if (error != null) {
        done.completeExceptionally(error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause() : error);
        return;
      }
      int changed = 0;
      for (CompletableFuture<Integer> c : chunks) {
        changed += c.join();
      }
      done.complete(changed);
    });
  }

  /**
   * Replica thread: a delta push's merge, without holding the replica thread for the disk: staged
   * like a local group and handed to the store's ordered asynchronous write; {@code done}
   * completes with the number of changed keys once it is durable and published (the ack a peer
   * waits for), or fails with the store's exception when nothing was written.
   */
  private MergePlan mergeFromPeerAsync(List<KeyState> states, NodeRef from, CompletableFuture<Integer> done) {
    MergePlan plan = planMerge(states, from);
    if (plan.after().isEmpty()) {
      if (coveredOnlyByStaged(states).isEmpty()) {
        done.complete(0);
      } else {
        // Covered, but only by writes not yet durable: the store writes in order, so once the newest
        // staged write is durable, so is every state that covers this push.
        coveredByStaged.computeIfAbsent(staged.peekLast().token(), t -> new ArrayList<>(1)).add(done);
      }
      return plan;
    }
    CompletableFuture<Long> written = store.writeAsync(plan.after(), StoreAttachment.NONE);
    stageWrite(new Object(), plan.before(), plan.after(), from, written).whenComplete((nanos, error) -> {
      if (error == null) {
        done.complete(plan.after().size());
      } else {
        done.completeExceptionally(error);
      }
    });
    return plan;
  }

  // ---------------------------------------------------------------- peer calls

  /**
   * Any thread: a peer's delta push. Merges the states with one store write, pipelined like a local
   * group (the replica thread does not wait for the disk), and completes once that write is durable
   * and published, so the ack means the states are durable here. Changes merged from another DC are
   * relayed to this DC's peers.
   */
  public CompletableFuture<DeltaAck> onPushDelta(DeltaBatch batch) {
    return onReplicaThreadAsync(result -> {
      NodeRef from = PeerInput.sender(batch.hasFrom(), batch.getFrom(), config.nodeName());
      List<KeyState> states = PeerInput.states(batch.getStatesList(), "states");
      CompletableFuture<Integer> merged = new CompletableFuture<>();
      MergePlan plan = mergeFromPeerAsync(states, from, merged);
      merged.whenComplete((changed, error) -> {
        if (error != null) {
          result.completeExceptionally(error);
          return;
        }
        observer.deltaReceived(from.getName(), states.size(), changed, batch.getSerializedSize());
        if (plan.refusal() != null) {
          // An ack says "I hold these states durably" (QUORUM writes count it): never for a refused key.
          result.completeExceptionally(new dev.tally.gossip.merge.PeerLimitException(plan.refusal()));
          return;
        }
        result.complete(DeltaAck.newBuilder().setChanged(changed).build());
      });
    });
  }

  /** Any thread: one level of a peer's anti-entropy descent (see {@link AntiEntropy#onCompareDigest}). */
  public CompletableFuture<DigestResponse> onCompareDigest(DigestRequest request) {
    return onReplicaThread(() -> antiEntropy.onCompareDigest(request));
  }

  /** Any thread: a peer's anti-entropy push-pull of whole leaves (see {@link AntiEntropy#onSyncBuckets}). */
  public CompletableFuture<BucketSyncResponse> onSyncBuckets(BucketSyncRequest request) {
    return onReplicaThreadAsync(result -> antiEntropy.onSyncBuckets(request).whenComplete((response, error) -> {
      if (error != null) {
        result.completeExceptionally(error);
      } else {
        result.complete(response);
      }
    }));
  }

  /**
   * Any thread: a peer's QUORUM read; this node's current states of the keys, in order (only the
   * first ones when all would pass maxPeerMessageBytes: the peer asks again for the rest). Refused
   * (IllegalStateException) while this node has not caught up since it started: its answer could
   * miss a QUORUM write its DC acknowledged, and the peer must not count it (issue 11, defect 8).
   */
  public CompletableFuture<ReadStatesResponse> onReadStates(ReadStatesRequest request) {
    return onReplicaThread(() -> {
      PeerInput.sender(request.hasFrom(), request.getFrom(), config.nodeName());
      checkKeys(request.getKeysList());
      if (!antiEntropy.caughtUp()) {
        antiEntropy.tickUrgent();
        throw new IllegalStateException("node " + config.nodeName() + " is not counted toward QUORUM reads yet: it has"
            + " not caught up with a peer of dc " + config.dc() + " since it started (no anti-entropy exchange of its"
            + " own has completed yet)");
      }
      // The first keys only, when all would pass the cap; the peer asks again for the rest.
      ReadStatesResponse.Builder response = ReadStatesResponse.newBuilder();
      int bytes = 0;
      for (String key : request.getKeysList()) {
        dev.tally.peer.v1.CounterState state = StateMessages.toMessage(key, store.get(key));
        int size = com.google.protobuf.CodedOutputStream.computeMessageSize(
            ReadStatesResponse.STATES_FIELD_NUMBER, state);
        if (response.getStatesCount() > 0 && bytes + size > config.maxPeerMessageBytes()) {
          break;
        }
        bytes += size;
        response.addStates(state);
      }
      return response.build();
    });
  }

  // ---------------------------------------------------------------- quorum

  /**
   * Any thread: reads the keys from a majority of this node's DC (its size counts every member ever
   * seen in it, alive or not, plus this node; this node counts only once it has caught up with a DC
   * peer since it started, see {@link QuorumCoordinator}), merges the answers into the local state durably
   * (read repair) and returns the merged states, one per key, in order. Fails with
   * {@link QuorumException} when no majority answers within quorumTimeout, and with
   * {@link IllegalArgumentException} on an empty or oversized key.
   */
  public CompletableFuture<List<KeyState>> quorumRead(List<String> keys) {
    List<String> copy = List.copyOf(keys);
    return onReplicaThreadAsync(result -> {
      checkKeys(copy);
      if (!antiEntropy.caughtUp()) {
        // Not counted toward this read (see QuorumCoordinator); catching up now counts it next time.
        antiEntropy.tickUrgent();
      }
      quorum.read(copy, result);
    });
  }

  /**
   * Any thread: pushes the keys' current states at once to every live peer of this node's DC and
   * completes when a majority of the DC, this node included, holds them durably. Call it after the
   * states were committed here. Fails with {@link QuorumException} (how many acks of how many were
   * needed, and whether it timed out or too few peers are alive or answered) within quorumTimeout;
   * the states stay applied here and keep replicating either way.
   */
  public CompletableFuture<Void> replicateToQuorum(List<KeyState> states) {
    List<KeyState> copy = List.copyOf(states);
    return onReplicaThreadAsync(result -> quorum.write(copy, result));
  }

  /**
   * Any thread: {@link #replicateToQuorum} for the keys' states as committed here at the moment it
   * runs on the replica thread (keys never written are skipped). The node uses it when a retried
   * request finds its write already applied, so the retry waits for a majority again and can
   * succeed once the DC is reachable, instead of failing for as long as the dedupe record lives.
   */
  public CompletableFuture<Void> replicateCommittedToQuorum(List<String> keys) {
    List<String> copy = List.copyOf(keys);
    return onReplicaThreadAsync(result -> {
      checkKeys(copy);
      List<KeyState> states = new ArrayList<>(copy.size());
      for (String key : copy) {
        PnCounter state = store.get(key);
        if (!state.isEmpty()) {
          states.add(new KeyState(key, state));
        }
      }
      quorum.write(states, result);
    });
  }

  // ---------------------------------------------------------------- status

  /**
   * Any thread: every peer ever seen, in name order, as of the last gossip tick or membership
   * change (at most one gossip interval old); the lag is computed now, so it keeps growing while a
   * peer stays behind.
   */
  public List<PeerStatus> peerStatus() {
    long now = clock.nanoTime();
    List<PeerSnapshot> snapshot = status;
    List<PeerStatus> out = new ArrayList<>(snapshot.size());
    for (PeerSnapshot p : snapshot) {
      long lag = p.oldestUnackedNanos() == PeerBuffer.NONE ? 0 : Math.max(0, (now - p.oldestUnackedNanos()) / 1_000_000);
      out.add(new PeerStatus(p.name(), p.dc(), p.state(), lag, p.pendingKeys(), p.needsRepair(), p.lastAckMillis(),
          p.deltaTarget()));
    }
    return out;
  }

  // ---------------------------------------------------------------- replica-thread internals

  private void gossipTick() {
    if (closed) {
      return;
    }
    // Guarded one by one: a round that throws must neither stop the timer nor skip the other task.
    errors.run(InternalErrors.TASK_DELTA_PUSH, deltas::tick);
    errors.run(InternalErrors.TASK_STATUS, this::publishStatus);
    gossipTimer = scheduler.schedule(config.gossipInterval(), this::gossipTick);
  }

  private void antiEntropyTick() {
    if (closed) {
      return;
    }
    errors.run(InternalErrors.TASK_ANTI_ENTROPY, antiEntropy::tick);
    antiEntropyTimer = scheduler.schedule(jitter(config.antiEntropyInterval()), this::antiEntropyTick);
  }

  private void onMember(Member member) {
    if (closed || member.name().equals(config.nodeName())) {
      return;
    }
    MemberState previous = view.update(member);
    if (previous == member.state()) {
      return;
    }
    observer.membershipChanged(member, previous);
    refreshTargets();
    if (started && member.alive()) {
      // It appeared or came back: it may lack whatever changed while it was away.
      antiEntropy.prioritise(member.name());
      antiEntropy.tickUrgent();
    }
    if (started) {
      publishStatus();
    }
  }

  private void refreshTargets() {
    if (view.version() == targetsVersion) {
      return;
    }
    List<String> next = Topology.localChangeTargets(view, config.remoteDcFanout());
    deltas.retarget(localTargets, next);
    localTargets = List.copyOf(next);
    targetsVersion = view.version();
  }

  private void publishStatus() {
    Set<String> targets = new HashSet<>(localTargets);
    List<PeerSnapshot> out = new ArrayList<>();
    for (Member m : view.peers()) {
      PeerBuffer b = deltas.bufferOf(m.name());
      out.add(new PeerSnapshot(m.name(), m.dc(), m.state(),
          b == null ? PeerBuffer.NONE : b.oldestUnackedNanos(),
          b == null ? 0 : b.pendingCount() + b.inFlightCount(),
          b != null && b.needsRepair(),
          b == null ? 0 : b.lastAckMillis(),
          targets.contains(m.name())));
    }
    status = List.copyOf(out);
  }

  private Duration jitter(Duration interval) {
    long nanos = interval.toNanos();
    return Duration.ofNanos(nanos - nanos / 4 + (long) (random.nextDouble() * (nanos / 2)));
  }

  private static void checkKeys(List<String> keys) {
    if (keys.size() > PeerInput.MAX_READ_KEYS) {
      throw new IllegalArgumentException("keys has " + keys.size() + " keys, more than the limit of " + PeerInput.MAX_READ_KEYS);
    }
    for (int i = 0; i < keys.size(); i++) {
      PeerInput.key(keys.get(i), "keys[" + i + "]");
    }
  }

  private <T> CompletableFuture<T> onReplicaThread(Supplier<T> body) {
    return onReplicaThreadAsync(result -> result.complete(body.get()));
  }

  /** Runs {@code body} on the replica thread once started; it completes the future (now or later). */
  private <T> CompletableFuture<T> onReplicaThreadAsync(java.util.function.Consumer<CompletableFuture<T>> body) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(new IllegalStateException("the replica is closed"));
      return result;
    }
    Runnable task = () -> {
      if (closed) {
        result.completeExceptionally(new IllegalStateException("the replica is closed"));
      } else if (!started) {
        result.completeExceptionally(new IllegalStateException("the replica has not started"));
      } else {
        try {
          body.accept(result);
        } catch (RuntimeException e) {
          result.completeExceptionally(e);
        }
      }
    };
    try {
      replicaThread.execute(task);
    } catch (RuntimeException e) {
      result.completeExceptionally(new IllegalStateException("the replica thread refused the task", e));
    }
    return result;
  }

  private void checkThread() {
    if (!scheduler.inThread()) {
      throw new IllegalStateException("called off the replica thread: " + Thread.currentThread().getName());
    }
  }

  /**
   * Replies and membership events hop onto the replica thread from transport and membership
   * threads; once the node has shut its replica thread down, those hops are dropped here instead
   * of throwing in someone else's thread.
   */
  private static final class ShutdownTolerantScheduler implements Scheduler {
    private final Scheduler delegate;

    ShutdownTolerantScheduler(Scheduler delegate) {
      this.delegate = delegate;
    }

    @Override
    public void execute(Runnable task) {
      try {
        delegate.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        LOG.debug("replica thread is shut down; dropped a task");
      }
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      try {
        return delegate.schedule(delay, task);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        LOG.debug("replica thread is shut down; dropped a timer");
        return () -> {};
      }
    }

    @Override
    public boolean inThread() {
      return delegate.inThread();
    }
  }

  // ---------------------------------------------------------------- for tests in this package

  DigestTree digestTree() {
    return tree;
  }

  DeltaReplicator deltaReplicator() {
    return deltas;
  }

  AntiEntropy antiEntropy() {
    return antiEntropy;
  }

  ClusterView clusterView() {
    return view;
  }
}
