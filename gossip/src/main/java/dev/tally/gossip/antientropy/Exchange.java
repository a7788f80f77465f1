package dev.tally.gossip.antientropy;

import dev.tally.gossip.digest.DigestTree;
import dev.tally.gossip.merge.PeerInput;
import dev.tally.gossip.merge.StateMerger;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.status.AntiEntropyRound;
import dev.tally.gossip.status.InternalErrors;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.gossip.transport.PeerTransport;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.BucketSyncResponse;
import dev.tally.peer.v1.CounterState;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.NodeRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One anti-entropy exchange started by this node, as a chain of calls with one in flight at a
 * time:
 *
 * <ol>
 *   <li>Descent: CompareDigest on the root with this node's hash; for every node the peer reports
 *       as differing it returns the 64 child hashes, which are compared here, and the differing
 *       children are asked about next, one level per call, at most {@link #NODES_PER_DIGEST_CALL}
 *       nodes per call, until the differing leaves are known.
 *   <li>Push-pull: SyncBuckets ships this node's states of a chunk of differing leaves (at most
 *       {@link #LEAVES_PER_SYNC} leaves, about {@link #STATES_PER_SYNC} states and at most
 *       maxPeerMessageBytes: a leaf too large for that is cut into {@link Span}s between two key
 *       hashes and its end shipped in the next call); the peer merges
 *       them and returns its states that differ; this node merges those.
 * </ol>
 *
 * <p>Only differing subtrees are visited and only the keys of differing leaves are shipped, so
 * the cost grows with the difference, not with the number of keys; equal replicas settle it in one
 * call. States change while an exchange runs; that is harmless (both sides only ever merge), and a
 * difference created meanwhile is found by the next exchange or carried by a delta.
 *
 * <p>Failures end the exchange (its future fails) and never leave it hanging: a call that fails or
 * a reply that breaks the protocol fails it as the peer's fault; anything else that throws in a
 * step (the store failing a scan or a merge) also counts as an internal error of
 * {@link InternalErrors#TASK_ANTI_ENTROPY}. The next round starts afresh either way.
 *
 * <p>Concurrency: confined to the replica thread; replies are handed back with
 * {@link Scheduler#execute}.
 */
final class Exchange {
  /** Most digest-tree nodes asked about in one CompareDigest call (reply: 64 hashes each). */
  static final int NODES_PER_DIGEST_CALL = 64;
  /** Most leaves (or parts of leaves) in one SyncBuckets call. */
  static final int LEAVES_PER_SYNC = 256;
  /** A SyncBuckets call stops adding leaves once this node's states for it pass this count. */
  static final int STATES_PER_SYNC = 1000;

  private final NodeRef self;
  private final NodeRef peer;
  private final DigestTree tree;
  private final StateStore store;
  private final StateMerger merger;
  private final PeerTransport transport;
  private final Scheduler scheduler;
  private final Clock clock;
  private final InternalErrors errors;
  private final int maxMessageBytes;
  private final CompletableFuture<AntiEntropyRound> result = new CompletableFuture<>();

  private int level;
  private ArrayDeque<Integer> current = new ArrayDeque<>();
  private ArrayDeque<Integer> next = new ArrayDeque<>();
  private final ArrayDeque<Integer> leaves = new ArrayDeque<>();
  /** What is left to push-pull: the differing leaves, and ends of them cut off by the byte cap. */
  private final ArrayDeque<Span> spans = new ArrayDeque<>();
  private boolean abandoned;
  private long startNanos;
  private long lastProgressNanos;
  private int digestCalls;
  private int syncCalls;
  private int differingLeaves;
  private int statesSent;
  private int statesReceived;
  private int repairedHere;
  private int repairedThere;

  Exchange(NodeRef self, NodeRef peer, DigestTree tree, StateStore store, StateMerger merger,
      PeerTransport transport, Scheduler scheduler, Clock clock, InternalErrors errors, int maxMessageBytes) {
    this.self = self;
    this.peer = peer;
    this.tree = tree;
    this.store = store;
    this.merger = merger;
    this.transport = transport;
    this.scheduler = scheduler;
    this.clock = clock;
    this.errors = errors;
    this.maxMessageBytes = maxMessageBytes;
  }

  String peer() {
    return peer.getName();
  }

  String peerDc() {
    return peer.getDc();
  }

  /** Monotonic time of the start or of the latest reply. */
  long lastProgressNanos() {
    return lastProgressNanos;
  }

  /** Starts the exchange; the future completes on the replica thread. */
  CompletableFuture<AntiEntropyRound> start() {
    startNanos = clock.nanoTime();
    lastProgressNanos = startNanos;
    level = 0;
    step(() -> sendDigest(List.of(0), true));
    return result;
  }

  /** Runs one step; whatever it throws beyond the protocol checks ends the exchange as internal. */
  private void step(Runnable body) {
    try {
      body.run();
    } catch (RuntimeException e) {
      if (!result.isDone() && !abandoned) {
        errors.report(InternalErrors.TASK_ANTI_ENTROPY, e);
        result.completeExceptionally(e);
      }
    }
  }

  /** Stops the exchange: later replies are ignored and the future never completes. */
  void abandon() {
    abandoned = true;
  }

  private void sendDigest(List<Integer> indexes, boolean withHashes) {
    DigestRequest.Builder request = DigestRequest.newBuilder()
        .setFrom(self).setTreeDepth(tree.depth()).setLevel(level).addAllIndexes(indexes);
    if (withHashes) {
      for (int index : indexes) {
        request.addHashes(tree.hash(level, index));
      }
    }
    digestCalls++;
    int askedLevel = level;
    transport.compareDigest(peer.getName(), request.build()).whenComplete((response, error) ->
        scheduler.execute(() -> step(() -> onDigest(askedLevel, indexes, response, error))));
  }

  private void onDigest(int askedLevel, List<Integer> asked, DigestResponse response, Throwable error) {
    if (abandoned || result.isDone()) {
      return;
    }
    lastProgressNanos = clock.nanoTime();
    if (error != null) {
      result.completeExceptionally(error);
      return;
    }
    try {
      Set<Integer> askedSet = new HashSet<>(asked);
      int differing = response.getDifferingCount();
      if (response.getChildHashesCount() != differing * DigestTree.FANOUT) {
        throw new IllegalArgumentException("peer " + peer.getName() + " returned " + response.getChildHashesCount()
            + " child hashes for " + differing + " differing nodes (want " + DigestTree.FANOUT + " each)");
      }
      long[] mine = new long[DigestTree.FANOUT];
      for (int k = 0; k < differing; k++) {
        int index = response.getDiffering(k);
        if (!askedSet.remove(index)) {
          throw new IllegalArgumentException("peer " + peer.getName() + " reported node " + index
              + " of level " + askedLevel + " as differing, which was not asked about (or twice)");
        }
        tree.childHashes(askedLevel, index, mine, 0);
        for (int c = 0; c < DigestTree.FANOUT; c++) {
          if (response.getChildHashes(k * DigestTree.FANOUT + c) != mine[c]) {
            int child = index * DigestTree.FANOUT + c;
            if (askedLevel + 1 == tree.depth()) {
              leaves.add(child);
            } else {
              next.add(child);
            }
          }
        }
      }
    } catch (IllegalArgumentException e) {
      result.completeExceptionally(e);
      return;
    }
    continueDescent();
  }

  private void continueDescent() {
    if (current.isEmpty() && !next.isEmpty()) {
      level++;
      current = next;
      next = new ArrayDeque<>();
    }
    if (!current.isEmpty()) {
      List<Integer> chunk = new ArrayList<>();
      while (!current.isEmpty() && chunk.size() < NODES_PER_DIGEST_CALL) {
        chunk.add(current.poll());
      }
      sendDigest(chunk, false);
      return;
    }
    differingLeaves = leaves.size();
    for (int leaf : leaves) {
      spans.add(Span.ofLeaf(tree, leaf));
    }
    leaves.clear();
    syncNext();
  }

  /**
   * States gathered for one message under a byte budget. A message is cut only between two key
   * hashes (the store's scan order and the unit a span can express) and always carries at least
   * the first state offered, so every message makes progress whatever the sizes.
   */
  static final class Page {
    private final int budget;
    private final int field;
    final List<CounterState> states = new ArrayList<>();
    int bytes;
    private long lastHash = -1;

    /**
     * @param budget bytes the states may take
     * @param field the repeated field number the states go into (for their encoded size)
     */
    Page(int budget, int field) {
      this.budget = budget;
      this.field = field;
    }

    /** Takes the state, or returns false when it would pass the budget and may be cut before. */
    boolean offer(String key, CounterState state) {
      int size = Span.fieldBytes(field, state);
      long hash = Span.hashOf(key);
      if (bytes + size > budget && !states.isEmpty() && hash != lastHash) {
        return false;
      }
      bytes += size;
      lastHash = hash;
      states.add(state);
      return true;
    }
  }

  private void syncNext() {
    if (spans.isEmpty()) {
      result.complete(new AntiEntropyRound(peer.getName(), digestCalls, syncCalls, differingLeaves,
          statesSent, statesReceived, repairedHere, repairedThere, (clock.nanoTime() - startNanos) / 1_000_000));
      return;
    }
    BucketSyncRequest.Builder request = BucketSyncRequest.newBuilder()
        .setFrom(self).setTreeDepth(tree.depth());
    int base = request.build().getSerializedSize();
    Page page = new Page(maxMessageBytes - base, BucketSyncRequest.STATES_FIELD_NUMBER);
    List<Span> chunk = new ArrayList<>();
    while (!spans.isEmpty() && chunk.size() < LEAVES_PER_SYNC && page.states.size() < STATES_PER_SYNC) {
      Span span = spans.poll();
      page.bytes += Span.MAX_ENCODED_BYTES;
      long[] cut = {-1};
      store.scan(span.start(), span.end(), ks -> {
        if (cut[0] < 0 && !page.offer(ks.key(), StateMessages.toMessage(ks.key(), ks.state()))) {
          cut[0] = Span.hashOf(ks.key());
        }
      });
      if (cut[0] == span.start()) {
        spans.addFirst(span); // nothing of it fit behind the spans already taken
        break;
      }
      if (cut[0] >= 0) {
        chunk.add(new Span(span.start(), cut[0]));
        spans.addFirst(new Span(cut[0], span.end()));
        break;
      }
      chunk.add(span);
    }
    for (Span span : chunk) {
      request.addRanges(span.toMessage());
    }
    request.addAllStates(page.states);
    statesSent += page.states.size();
    syncCalls++;
    transport.syncBuckets(peer.getName(), request.build()).whenComplete((response, error) ->
        scheduler.execute(() -> step(() -> onSync(chunk, response, error))));
  }

  private void onSync(List<Span> chunk, BucketSyncResponse response, Throwable error) {
    if (abandoned || result.isDone()) {
      return;
    }
    lastProgressNanos = clock.nanoTime();
    if (error != null) {
      result.completeExceptionally(error);
      return;
    }
    List<KeyState> states;
    List<Span> again = new ArrayList<>();
    try {
      states = PeerInput.states(response.getStatesList(), "states");
      Span.Cover asked = new Span.Cover(chunk);
      for (KeyState ks : states) {
        if (!asked.covers(Span.hashOf(ks.key()))) {
          throw new IllegalArgumentException("peer " + peer.getName() + " returned key '" + ks.key()
              + "' of leaf " + tree.leafOf(ks.key()) + ", which was not asked for");
        }
      }
      Set<Span> seen = new HashSet<>();
      int whole = 0;
      for (dev.tally.peer.v1.HashRange r : response.getDeferredRangesList()) {
        Span d;
        try {
          d = Span.of(r);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("peer " + peer.getName() + " deferred " + e.getMessage());
        }
        Span of = chunk.stream().filter(c -> c.end() == d.end() && c.start() <= d.start()).findFirst().orElse(null);
        if (of == null || !seen.add(of)) {
          throw new IllegalArgumentException("peer " + peer.getName() + " deferred " + d
              + ", which does not end a range it was asked for (or twice)");
        }
        whole += of.equals(d) ? 1 : 0;
        again.add(d);
      }
      for (int leaf : response.getDeferredLeavesList()) {
        // An older responder defers whole leaves: ask again for what was asked of them.
        for (Span c : chunk) {
          if (tree.leafOfHash(c.start()) == leaf && seen.add(c)) {
            whole++;
            again.add(c);
          }
        }
      }
      if (whole == chunk.size()) {
        throw new IllegalArgumentException("peer " + peer.getName() + " deferred every range it was asked for");
      }
    } catch (IllegalArgumentException e) {
      result.completeExceptionally(e);
      return;
    }
    statesReceived += states.size();
    repairedThere += response.getChanged();
    // The merge yields to local writes between its chunks; the next call waits until it is durable.
    merger.merge(states, peer).whenComplete((changed, mergeError) -> step(() -> {
      if (abandoned || result.isDone()) {
        return;
      }
      if (mergeError != null) {
        throw mergeError instanceof RuntimeException r ? r : new IllegalStateException(mergeError);
      }
      repairedHere += changed;
      for (int i = again.size() - 1; i >= 0; i--) {
        spans.addFirst(again.get(i));
      }
      syncNext();
    }));
  }
}
