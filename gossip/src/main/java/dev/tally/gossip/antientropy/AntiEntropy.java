package dev.tally.gossip.antientropy;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.delta.RepairTracker;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.gossip.membership.Member;
import dev.tally.gossip.merge.PeerInput;
import dev.tally.gossip.merge.StateMerger;
import dev.tally.gossip.status.AntiEntropyRound;
import dev.tally.gossip.status.InternalErrors;
import dev.tally.gossip.status.ReplicationObserver;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.gossip.topology.ClusterView;
import dev.tally.gossip.transport.PeerTransport;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.BucketSyncResponse;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.HashRange;
import dev.tally.peer.v1.NodeRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.random.RandomGenerator;

/**
 * Anti-entropy: what makes replicas converge when deltas cannot (a peer was down, partitioned,
 * restarted, wiped, or fell too far behind). Each {@link #tick} starts at most one exchange (see
 * {@link Exchange}) unless one is still running, and this class also answers the peers' exchanges
 * ({@link #onCompareDigest}, {@link #onSyncBuckets}).
 *
 * <p>Choosing the peer: first those that need it (their delta buffer overflowed, or they just
 * appeared or came back), the least recently tried first, three rounds out of four; otherwise a
 * random live peer, from this node's DC three times out of four when it has live DC peers, else from
 * a remote DC. A prioritised peer leaves the list when an exchange with it completes, or after
 * {@link #MAX_PRIORITY_FAILURES} failed tries in a row (random rounds still reach it).
 *
 * <p>Catching up: until an exchange this node started with a peer of its own DC has completed
 * since the replica started, the node may lack QUORUM writes its DC acknowledged (it was down, or
 * its disk was wiped), so {@link #caughtUp} is false and QUORUM reads do not count it. While it is
 * false, urgent rounds go to a DC peer first.
 *
 * <p>Concurrency: confined to the replica thread.
 */
public final class AntiEntropy {
  /** Consecutive failed exchanges after which a peer loses its priority. */
  public static final int MAX_PRIORITY_FAILURES = 3;
  /** Most nodes one CompareDigest request may list. */
  public static final int MAX_DIGEST_NODES = 1024;
  /** Most leaves and ranges one SyncBuckets request may list together. */
  public static final int MAX_SYNC_LEAVES = 4096;
  /**
   * An exchange with no reply for this long is abandoned. The transport promises a deadline on every
   * call, so this only guards against a transport that breaks that promise: one lost reply must not
   * stop anti-entropy for good.
   */
  public static final long STALL_NANOS = 60_000_000_000L;

  private final NodeRef self;
  private final DigestTree tree;
  private final Clock clock;
  private final Scheduler scheduler;
  private final StateStore store;
  private final PeerTransport transport;
  private final ClusterView view;
  private final StateMerger merger;
  private final RepairTracker repair;
  private final RandomGenerator random;
  private final ReplicationObserver observer;
  private final InternalErrors errors;
  private final int maxMessageBytes;

  private final Set<String> priority = new LinkedHashSet<>();
  private final Map<String, Integer> priorityFailures = new HashMap<>();
  private final Map<String, Long> lastAttempt = new HashMap<>();
  private Exchange current;
  private boolean closed;
  /** An exchange this node started with a DC peer completed since the replica started. */
  private boolean caughtUpWithDc;

  public AntiEntropy(NodeRef self, DigestTree tree, Clock clock, Scheduler scheduler, StateStore store,
      PeerTransport transport, ClusterView view, StateMerger merger, RepairTracker repair,
      RandomGenerator random, ReplicationObserver observer, InternalErrors errors, int maxMessageBytes) {
    this.self = self;
    this.tree = tree;
    this.clock = clock;
    this.scheduler = scheduler;
    this.store = store;
    this.transport = transport;
    this.view = view;
    this.merger = merger;
    this.repair = repair;
    this.random = random;
    this.observer = observer;
    this.errors = errors;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Puts a peer that just appeared, came back, or may lack this node's changes at the front. */
  public void prioritise(String peer) {
    priority.add(peer);
    priorityFailures.remove(peer);
  }

  /** Peers waiting for a priority exchange (a copy, for tests and diagnostics). */
  public List<String> prioritised() {
    return new ArrayList<>(priority);
  }

  /**
   * True once an exchange this node started with a peer of its DC has completed since the replica
   * started (it then holds everything that peer held), or while its DC has no other member (there
   * is nobody to catch up with). QUORUM reads count this node, and peers' QUORUM reads may count
   * its answer, only then.
   */
  public boolean caughtUp() {
    return caughtUpWithDc || view.dcPeers().isEmpty();
  }

  /** True while an exchange started by this node is running. */
  public boolean exchangeRunning() {
    return current != null;
  }

  /** The anti-entropy timer: starts an exchange with a chosen live peer, unless one is running. */
  public void tick() {
    start(false);
  }

  /** Starts an exchange now, with a prioritised peer if there is one (a peer appeared or came back). */
  public void tickUrgent() {
    start(true);
  }

  private void start(boolean urgentFirst) {
    if (closed) {
      return;
    }
    if (current != null) {
      if (clock.nanoTime() - current.lastProgressNanos() < STALL_NANOS) {
        return;
      }
      Exchange stalled = current;
      stalled.abandon();
      current = null;
      observer.antiEntropyFailed(stalled.peer(), new java.util.concurrent.TimeoutException(
          "no reply from " + stalled.peer() + " for " + STALL_NANOS / 1_000_000_000L + " s; exchange abandoned"));
    }
    String peer = choosePeer(urgentFirst);
    if (peer == null) {
      return;
    }
    Member member = view.peer(peer);
    NodeRef ref = NodeRef.newBuilder().setName(member.name()).setDc(member.dc()).build();
    long epoch = repair.repairEpoch(peer);
    lastAttempt.put(peer, clock.nanoTime());
    Exchange exchange = new Exchange(self, ref, tree, store, merger, transport, scheduler, clock, errors,
        maxMessageBytes);
    current = exchange;
    // A failing step fails the future (never throws here), so current is always cleared again.
    exchange.start().whenComplete((round, error) -> finished(exchange, epoch, round, error));
  }

  /** Abandons the running exchange and starts no more. */
  public void close() {
    closed = true;
    if (current != null) {
      current.abandon();
      current = null;
    }
  }

  private void finished(Exchange exchange, long epoch, AntiEntropyRound round, Throwable error) {
    if (current != exchange) {
      return;
    }
    current = null;
    String peer = exchange.peer();
    if (error == null) {
      priority.remove(peer);
      priorityFailures.remove(peer);
      repair.repaired(peer, epoch);
      if (exchange.peerDc().equals(self.getDc())) {
        caughtUpWithDc = true;
      }
      observer.antiEntropyCompleted(round);
    } else {
      if (priority.contains(peer) && priorityFailures.merge(peer, 1, Integer::sum) >= MAX_PRIORITY_FAILURES) {
        priority.remove(peer);
        priorityFailures.remove(peer);
      }
      observer.antiEntropyFailed(peer, error);
    }
    if (error == null && !closed && !caughtUp() && urgentDcPeerWaits()) {
      // Completed, but with a remote DC: QUORUM reads wait for a DC exchange, so run it now. Only
      // after a success, and only for prioritised peers (they leave the list), so this never spins.
      start(true);
    }
  }

  private boolean urgentDcPeerWaits() {
    for (Member m : view.peers()) {
      if (m.alive() && m.dc().equals(self.getDc()) && (priority.contains(m.name()) || repair.needsRepair(m.name()))) {
        return true;
      }
    }
    return false;
  }

  private String choosePeer(boolean urgentFirst) {
    List<String> urgent = new ArrayList<>();
    List<String> local = new ArrayList<>();
    List<String> remote = new ArrayList<>();
    for (Member m : view.peers()) {
      if (!m.alive()) {
        continue;
      }
      if (priority.contains(m.name()) || repair.needsRepair(m.name())) {
        urgent.add(m.name());
      }
      (m.dc().equals(self.getDc()) ? local : remote).add(m.name());
    }
    if (!caughtUp()) {
      // Catching up needs a DC peer: try those first while any of them waits.
      List<String> localUrgent = urgent.stream().filter(local::contains).toList();
      if (!localUrgent.isEmpty()) {
        urgent = localUrgent;
      }
    }
    if (!urgent.isEmpty() && (urgentFirst || random.nextInt(4) != 0)) {
      String best = null;
      long bestTime = Long.MAX_VALUE;
      for (String peer : urgent) {
        long t = lastAttempt.getOrDefault(peer, Long.MIN_VALUE);
        if (best == null || t < bestTime) {
          best = peer;
          bestTime = t;
        }
      }
      return best;
    }
    if (!local.isEmpty() && (remote.isEmpty() || random.nextInt(4) != 0)) {
      return local.get(random.nextInt(local.size()));
    }
    if (!remote.isEmpty()) {
      return remote.get(random.nextInt(remote.size()));
    }
    return null;
  }

  /**
   * Answers one level of a peer's descent: the listed nodes whose hash differs from this node's
   * (all of them when the request carries no hashes), with this node's 64 child hashes of each.
   *
   * @throws IllegalArgumentException on a tree depth other than this node's, a level or index
   *     outside the tree, too many nodes, or a hash count that does not match
   */
  public DigestResponse onCompareDigest(DigestRequest request) {
    PeerInput.sender(request.hasFrom(), request.getFrom(), self.getName());
    checkDepth(request.getTreeDepth());
    int level = request.getLevel();
    if (level < 0 || level > tree.depth()) {
      throw new IllegalArgumentException("level " + level + " is outside 0.." + tree.depth());
    }
    int count = request.getIndexesCount();
    if (count > MAX_DIGEST_NODES) {
      throw new IllegalArgumentException("indexes has " + count + " nodes, more than the limit of " + MAX_DIGEST_NODES);
    }
    if (request.getHashesCount() != 0 && request.getHashesCount() != count) {
      throw new IllegalArgumentException("hashes has " + request.getHashesCount() + " values for "
          + count + " indexes (want the same number, or none)");
    }
    int nodes = tree.nodesAt(level);
    for (int i = 0; i < count; i++) {
      long index = Integer.toUnsignedLong(request.getIndexes(i));
      if (index >= nodes) {
        throw new IllegalArgumentException("indexes[" + i + "] = " + index + " is outside level " + level
            + " (0.." + (nodes - 1) + ")");
      }
    }
    DigestResponse.Builder response = DigestResponse.newBuilder();
    long[] children = new long[DigestTree.FANOUT];
    for (int i = 0; i < count; i++) {
      int index = request.getIndexes(i);
      if (request.getHashesCount() != 0 && tree.hash(level, index) == request.getHashes(i)) {
        continue;
      }
      response.addDiffering(index);
      if (level < tree.depth()) {
        tree.childHashes(level, index, children, 0);
        for (long h : children) {
          response.addChildHashes(h);
        }
      }
    }
    return response.build();
  }

  /**
   * Answers a peer's push-pull of leaves and parts of leaves: merges the peer's states (in chunks,
   * see {@link StateMerger}), then, once they are durable, returns this node's states in those spans that differ from what the peer sent,
   * in request order, until the reply would pass maxPeerMessageBytes; the rest (the end of the span
   * it stopped in, cut between two key hashes, and every later span) is listed as deferred. It
   * always answers at least a part of the first span.
   *
   * @throws IllegalArgumentException on a tree depth other than this node's, a leaf outside the
   *     tree, a range that is empty or crosses a leaf boundary, too many spans, a bad state, or a
   *     state whose key lies in no listed span; nothing is merged then (thrown, not in the future)
   */
  public CompletableFuture<BucketSyncResponse> onSyncBuckets(BucketSyncRequest request) {
    NodeRef from = PeerInput.sender(request.hasFrom(), request.getFrom(), self.getName());
    checkDepth(request.getTreeDepth());
    int count = request.getLeavesCount() + request.getRangesCount();
    if (count > MAX_SYNC_LEAVES) {
      throw new IllegalArgumentException("leaves and ranges list " + count + " spans, more than the limit of "
          + MAX_SYNC_LEAVES);
    }
    List<Span> spans = new ArrayList<>(count);
    for (int i = 0; i < request.getLeavesCount(); i++) {
      long leaf = Integer.toUnsignedLong(request.getLeaves(i));
      if (leaf >= tree.leafCount()) {
        throw new IllegalArgumentException("leaves[" + i + "] = " + leaf + " is outside 0.." + (tree.leafCount() - 1));
      }
      spans.add(Span.ofLeaf(tree, (int) leaf));
    }
    for (int i = 0; i < request.getRangesCount(); i++) {
      HashRange r = request.getRanges(i);
      Span span;
      try {
        span = Span.of(r);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("ranges[" + i + "] " + e.getMessage());
      }
      if (tree.leafOfHash(span.start()) != tree.leafOfHash(span.end() - 1)) {
        throw new IllegalArgumentException("ranges[" + i + "] = " + span + " crosses from leaf "
            + tree.leafOfHash(span.start()) + " into leaf " + tree.leafOfHash(span.end() - 1)
            + " (a range lies inside one leaf)");
      }
      spans.add(span);
    }
    Span.Cover cover = new Span.Cover(spans);
    List<KeyState> states = PeerInput.states(request.getStatesList(), "states");
    Map<String, PnCounter> theirs = new HashMap<>();
    for (int i = 0; i < states.size(); i++) {
      KeyState ks = states.get(i);
      if (!cover.covers(Span.hashOf(ks.key()))) {
        throw new IllegalArgumentException("states[" + i + "].key '" + ks.key() + "' is in leaf "
            + tree.leafOf(ks.key()) + ", which no listed leaf or range covers");
      }
      theirs.merge(ks.key(), ks.state(), PnCounter::merge);
    }
    // The reply is built once the merge is durable, so it returns only what still differs.
    return merger.merge(states, from).thenApply(changed -> answer(from, spans, theirs, states.size(), changed));
  }

  private BucketSyncResponse answer(NodeRef from, List<Span> spans, Map<String, PnCounter> theirs, int received,
      int changed) {
    BucketSyncResponse.Builder response = BucketSyncResponse.newBuilder().setChanged(changed);
    // Room for the changed count and, at worst, every span deferred.
    int budget = maxMessageBytes - 16 - spans.size() * Span.MAX_ENCODED_BYTES;
    Exchange.Page page = new Exchange.Page(budget, BucketSyncResponse.STATES_FIELD_NUMBER);
    boolean full = false;
    for (Span span : spans) {
      if (full) {
        response.addDeferredRanges(span.toMessage());
        continue;
      }
      long[] cut = {-1};
      store.scan(span.start(), span.end(), ks -> {
        if (cut[0] < 0 && !ks.state().equals(theirs.getOrDefault(ks.key(), PnCounter.EMPTY))
            && !page.offer(ks.key(), StateMessages.toMessage(ks.key(), ks.state()))) {
          cut[0] = Span.hashOf(ks.key());
        }
      });
      if (cut[0] >= 0) {
        response.addDeferredRanges(new Span(cut[0], span.end()).toMessage());
        full = true;
      }
    }
    response.addAllStates(page.states);
    observer.antiEntropyServed(from.getName(), received, changed, response.getStatesCount());
    return response.build();
  }

  private void checkDepth(int depth) {
    if (depth != tree.depth()) {
      throw new IllegalArgumentException("tree_depth " + depth + " does not match this node's digest tree depth "
          + tree.depth() + " (every node of a cluster must use the same depth)");
    }
  }
}
