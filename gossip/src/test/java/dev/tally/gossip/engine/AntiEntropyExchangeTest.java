package dev.tally.gossip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.gossip.status.AntiEntropyRound;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestCluster.TestNode;
import dev.tally.gossip.testing.TestTransport.Link;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.BucketSyncResponse;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.HashRange;
import dev.tally.peer.v1.NodeRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The anti-entropy protocol between two real replicas. */
class AntiEntropyExchangeTest {
  private static final int KEYS = 20_000;

  private final TestCluster cluster = new TestCluster();
  private final NodeRef peerRef = NodeRef.newBuilder().setName("a1").setDc("A").build();

  /** Writes the same {@code count} states into both stores, as if they had long converged. */
  private static void sameStates(int count, TestNode... nodes) {
    List<KeyState> states = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      states.add(new KeyState("key-" + i, PnCounter.EMPTY.increment(100 + i % 7, 1 + i, 1_000)));
    }
    for (TestNode n : nodes) {
      n.store.write(states, StoreAttachment.NONE);
    }
  }

  private void exchange(TestNode from) {
    cluster.time.runAs(from.name, () -> from.replica.antiEntropy().tick());
    cluster.run(Duration.ofSeconds(5));
  }

  @Test
  void exchange_fewDifferingKeysAmongMany_shipsOnlyTheDifferingLeaves() {
    TestNode a1 = cluster.add("a1", "A");
    TestNode a2 = cluster.add("a2", "A");
    sameStates(KEYS, a1, a2);
    cluster.start();
    a1.increment("key-10", 1);
    a1.increment("key-20", 1);
    a1.increment("new-on-a1", 1);
    a2.increment("key-30", 1);
    a2.increment("new-on-a2", 1);

    exchange(a1);

    assertThat(a1.store.dump()).isEqualTo(a2.store.dump());
    DigestTree tree = a1.replica.digestTree();
    Set<Integer> differing = new HashSet<>();
    for (String k : List.of("key-10", "key-20", "new-on-a1", "key-30", "new-on-a2")) {
      differing.add(tree.leafOf(k));
    }
    int keysInDifferingLeavesOnA1Before = 0;
    for (int leaf : differing) {
      int[] n = {0};
      a1.store.scan(tree.leafStart(leaf), tree.leafStart(leaf + 1), ks -> n[0]++);
      keysInDifferingLeavesOnA1Before += n[0];
    }
    keysInDifferingLeavesOnA1Before -= a1.store.get("new-on-a2").isEmpty() ? 0 : 1; // a1 learned it in the exchange

    AntiEntropyRound round = a1.observer.rounds.get(0);
    assertThat(round.differingLeaves()).isEqualTo(differing.size());
    assertThat(round.digestCalls()).as("root, then one call per level down to the leaves' parents").isEqualTo(tree.depth());
    assertThat(round.statesSent()).as("a1's states of the differing leaves only").isEqualTo(keysInDifferingLeavesOnA1Before);
    assertThat(round.statesReceived()).as("only what a1 lacked comes back").isEqualTo(2);
    assertThat(round.repairedHere()).isEqualTo(2);
    assertThat(round.repairedThere()).isEqualTo(3);
    assertThat(a1.transport.statesShipped("SyncBuckets")).isEqualTo(round.statesSent() + round.statesReceived())
        .isLessThan(100);
    assertThat(a1.transport.statesShipped("PushDelta")).isZero();
  }

  @Test
  void exchange_costGrowsWithTheDifference_notWithTheKeyCount() {
    TestNode a1 = cluster.add("a1", "A", c -> c.withDigestTreeDepth(3));
    TestNode a2 = cluster.add("a2", "A", c -> c.withDigestTreeDepth(3));
    sameStates(KEYS, a1, a2);
    cluster.start();
    for (int i = 0; i < 5; i++) {
      a1.increment("key-" + (i * 1000), 1);
    }
    exchange(a1);
    int shippedForFive = a1.transport.statesShipped("SyncBuckets");

    a1.transport.clearCalls();
    for (int i = 0; i < 50; i++) {
      a1.increment("key-" + (i * 300 + 7), 1);
    }
    exchange(a1);
    int shippedForFifty = a1.transport.statesShipped("SyncBuckets");

    assertThat(a1.store.dump()).isEqualTo(a2.store.dump());
    // 20,000 keys over 262,144 leaves: each differing key ships itself and rarely a neighbour.
    assertThat(shippedForFive).isBetween(5, 10);
    assertThat(shippedForFifty).isBetween(50, 100);
  }

  @Test
  void exchange_equalReplicas_settleInOneDigestCall() {
    TestNode a1 = cluster.add("a1", "A");
    TestNode a2 = cluster.add("a2", "A");
    sameStates(2_000, a1, a2);
    cluster.start();

    exchange(a1);

    assertThat(a1.transport.calls("CompareDigest")).hasSize(1);
    assertThat(a1.transport.calls("SyncBuckets")).isEmpty();
    assertThat(a1.observer.rounds).hasSize(1);
  }

  @Test
  void exchange_withAWipedPeer_refillsItCompletelyInBoundedChunks() {
    TestNode a1 = cluster.add("a1", "A");
    TestNode a2 = cluster.add("a2", "A");
    sameStates(5_000, a1);
    cluster.start();

    exchange(a1);

    assertThat(a2.store.dump()).isEqualTo(a1.store.dump());
    assertThat(a1.transport.calls("SyncBuckets")).allSatisfy(c ->
        assertThat(((BucketSyncRequest) c.request).getRangesCount()).isLessThanOrEqualTo(256));
    assertThat(a1.transport.statesShipped("SyncBuckets")).isEqualTo(5_000);
  }

  @Test
  void exchange_pullsWhatTheInitiatorLacks() {
    TestNode a1 = cluster.add("a1", "A");
    TestNode a2 = cluster.add("a2", "A");
    sameStates(1_000, a2);
    cluster.start();

    exchange(a1);

    assertThat(a1.store.dump()).isEqualTo(a2.store.dump());
    assertThat(a1.changes).as("pulled states reach the listener (Watch)").isNotEmpty();
  }

  @Test
  void exchange_peerUnreachable_failsTheRoundAndTheNextOneSucceeds() {
    TestNode a1 = cluster.add("a1", "A");
    TestNode a2 = cluster.add("a2", "A");
    cluster.start();
    a1.increment("x", 1);
    a1.transport.link("a2", Link.REFUSE);

    exchange(a1);
    assertThat(a1.observer.roundFailures).containsExactly("a2");

    a1.transport.link("a2", Link.UP);
    exchange(a1);
    assertThat(a2.value("x")).isEqualTo(1);
  }

  @Test
  void exchange_stalledWithoutAnyReply_isAbandonedAndTheNextOneRuns() {
    TestNode a1 = cluster.add("a1", "A");
    TestNode a2 = cluster.add("a2", "A");
    cluster.start();
    a1.increment("x", 1);
    a1.transport.link("a2", Link.HANG);

    exchange(a1);
    cluster.run(Duration.ofSeconds(60));
    assertThat(a1.replica.antiEntropy().exchangeRunning()).isTrue();
    a1.transport.link("a2", Link.UP);
    exchange(a1);

    assertThat(a1.observer.roundFailures).containsExactly("a2");
    assertThat(a2.value("x")).isEqualTo(1);
  }

  @Test
  void exchange_hugeLeaves_areAnsweredInBoundedRepliesAndTheRestAskedAgain() {
    TestNode a1 = cluster.add("a1", "A", c -> c.withDigestTreeDepth(1));
    TestNode a2 = cluster.add("a2", "A", c -> c.withDigestTreeDepth(1));
    List<KeyState> big = new ArrayList<>();
    for (int i = 0; i < 1_500; i++) {
      big.add(new KeyState(i + "-" + "k".repeat(4000), PnCounter.EMPTY.increment(5, 1, 1)));
    }
    a2.store.write(big, StoreAttachment.NONE);
    cluster.start();

    exchange(a1);

    assertThat(a1.store.dump()).isEqualTo(a2.store.dump());
    List<BucketSyncResponse> replies = a1.transport.calls("SyncBuckets").stream()
        .map(c -> (BucketSyncResponse) c.response).toList();
    assertThat(replies).anySatisfy(r -> assertThat(r.getDeferredRangesCount()).isPositive());
    assertThat(replies).allSatisfy(r -> assertThat(r.getSerializedSize())
        .isLessThanOrEqualTo(ReplicaConfig.DEFAULT_MAX_PEER_MESSAGE_BYTES));
  }

  // ------------------------------------------------------------------ responder validation

  private TestNode responder() {
    TestNode a2 = cluster.add("a2", "A");
    cluster.add("a1", "A");
    sameStates(100, a2);
    cluster.start();
    return a2;
  }

  private <T> Throwable failure(CompletableFuture<T> future) {
    cluster.run(Duration.ZERO);
    assertThat(future).isCompletedExceptionally();
    try {
      future.join();
      throw new AssertionError("not failed");
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  @Test
  void onCompareDigest_wrongTreeDepth_isRejected() {
    TestNode a2 = responder();
    Throwable e = failure(a2.replica.onCompareDigest(DigestRequest.newBuilder().setFrom(peerRef)
        .setTreeDepth(3).setLevel(0).addIndexes(0).build()));
    assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tree_depth 3")
        .hasMessageContaining("depth 2");
  }

  @Test
  void onCompareDigest_levelIndexOrHashCountOutsideTheTree_isRejected() {
    TestNode a2 = responder();
    assertThat(failure(a2.replica.onCompareDigest(DigestRequest.newBuilder().setFrom(peerRef)
        .setTreeDepth(2).setLevel(3).build()))).hasMessageContaining("level 3 is outside 0..2");
    assertThat(failure(a2.replica.onCompareDigest(DigestRequest.newBuilder().setFrom(peerRef)
        .setTreeDepth(2).setLevel(1).addIndexes(64).build()))).hasMessageContaining("indexes[0] = 64");
    assertThat(failure(a2.replica.onCompareDigest(DigestRequest.newBuilder().setFrom(peerRef)
        .setTreeDepth(2).setLevel(1).addIndexes(-1).build()))).hasMessageContaining("4294967295");
    assertThat(failure(a2.replica.onCompareDigest(DigestRequest.newBuilder().setFrom(peerRef)
        .setTreeDepth(2).setLevel(1).addIndexes(1).addIndexes(2).addHashes(5).build())))
        .hasMessageContaining("hashes has 1 values for 2 indexes");
    assertThat(failure(a2.replica.onCompareDigest(DigestRequest.newBuilder()
        .setTreeDepth(2).setLevel(0).addIndexes(0).build()))).hasMessageContaining("from is missing");
  }

  @Test
  void onCompareDigest_returnsOnlyDifferingNodesWithTheirChildren() {
    TestNode a2 = responder();
    long root = a2.replica.digestTree().root();
    CompletableFuture<DigestResponse> same = a2.replica.onCompareDigest(DigestRequest.newBuilder().setFrom(peerRef)
        .setTreeDepth(2).setLevel(0).addIndexes(0).addHashes(root).build());
    CompletableFuture<DigestResponse> other = a2.replica.onCompareDigest(DigestRequest.newBuilder().setFrom(peerRef)
        .setTreeDepth(2).setLevel(0).addIndexes(0).addHashes(root ^ 1).build());
    cluster.run(Duration.ZERO);
    assertThat(same.join().getDifferingCount()).isZero();
    assertThat(other.join().getDifferingList()).containsExactly(0);
    assertThat(other.join().getChildHashesCount()).isEqualTo(64);
  }

  @Test
  void onSyncBuckets_stateOutsideTheListedLeaves_isRejectedAndChangesNothing() {
    TestNode a2 = responder();
    DigestTree tree = a2.replica.digestTree();
    String inside = "fresh-1";
    String outside = "fresh-2";
    while (tree.leafOf(outside) == tree.leafOf(inside)) {
      outside = outside + "x";
    }
    var before = a2.store.dump();
    int writes = a2.store.writes();
    Throwable e = failure(a2.replica.onSyncBuckets(BucketSyncRequest.newBuilder().setFrom(peerRef).setTreeDepth(2)
        .addLeaves(tree.leafOf(inside))
        .addStates(StateMessages.toMessage(inside, PnCounter.EMPTY.increment(5, 1, 1)))
        .addStates(StateMessages.toMessage(outside, PnCounter.EMPTY.increment(5, 1, 1)))
        .build()));
    assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("states[1].key '" + outside + "'")
        .hasMessageContaining("which no listed leaf or range covers");
    assertThat(a2.store.dump()).isEqualTo(before);
    assertThat(a2.store.writes()).isEqualTo(writes);
  }

  @Test
  void onSyncBuckets_leafOutsideTheTreeOrWrongDepth_isRejected() {
    TestNode a2 = responder();
    assertThat(failure(a2.replica.onSyncBuckets(BucketSyncRequest.newBuilder().setFrom(peerRef).setTreeDepth(2)
        .addLeaves(4096).build()))).hasMessageContaining("leaves[0] = 4096 is outside 0..4095");
    assertThat(failure(a2.replica.onSyncBuckets(BucketSyncRequest.newBuilder().setFrom(peerRef).setTreeDepth(1)
        .build()))).hasMessageContaining("tree_depth 1");
  }

  @Test
  void onSyncBuckets_mergesTheRequestAndReturnsOnlyWhatDiffers() {
    TestNode a2 = responder();
    DigestTree tree = a2.replica.digestTree();
    int leaf = tree.leafOf("key-1");
    List<KeyState> mine = new ArrayList<>();
    a2.store.scan(tree.leafStart(leaf), tree.leafStart(leaf + 1), mine::add);
    BucketSyncRequest.Builder request = BucketSyncRequest.newBuilder().setFrom(peerRef).setTreeDepth(2).addLeaves(leaf);
    for (KeyState ks : mine) {
      PnCounter sent = ks.key().equals("key-1") ? ks.state().increment(5, 3, 9) : ks.state();
      request.addStates(StateMessages.toMessage(ks.key(), sent));
    }
    CompletableFuture<BucketSyncResponse> response = a2.replica.onSyncBuckets(request.build());
    cluster.run(Duration.ZERO);

    assertThat(response.join().getChanged()).isEqualTo(1);
    assertThat(response.join().getStatesCount()).as("the requester already has every state of the leaf").isZero();
    assertThat(a2.state("key-1").p(5)).isEqualTo(3);
  }

  @Test
  void onSyncBuckets_rangeEmptyOrAcrossALeafBoundary_isRejected() {
    TestNode a2 = responder();
    DigestTree tree = a2.replica.digestTree();
    assertThat(failure(a2.replica.onSyncBuckets(BucketSyncRequest.newBuilder().setFrom(peerRef).setTreeDepth(2)
        .addRanges(HashRange.newBuilder().setStart(5).setEnd(5)).build())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ranges[0] hash range [5, 5) is empty");
    assertThat(failure(a2.replica.onSyncBuckets(BucketSyncRequest.newBuilder().setFrom(peerRef).setTreeDepth(2)
        .addRanges(HashRange.newBuilder().setStart(tree.leafStart(1) - 1).setEnd(tree.leafStart(1) + 1)).build())))
        .hasMessageContaining("crosses from leaf 0 into leaf 1");
  }

  @Test
  void onSyncBuckets_stateInTheLeafButOutsideTheListedRange_isRejected() {
    TestNode a2 = responder();
    DigestTree tree = a2.replica.digestTree();
    String key = "fresh-1";
    long hash = Integer.toUnsignedLong(dev.tally.gossip.digest.KeyHash.of(key));
    int leaf = tree.leafOf(key);
    // The leaf's part before the key, not the key itself.
    HashRange before = HashRange.newBuilder().setStart(tree.leafStart(leaf)).setEnd(Math.max(hash, tree.leafStart(leaf) + 1)).build();
    Throwable e = failure(a2.replica.onSyncBuckets(BucketSyncRequest.newBuilder().setFrom(peerRef).setTreeDepth(2)
        .addRanges(before).addStates(StateMessages.toMessage(key, PnCounter.EMPTY.increment(5, 1, 1))).build()));
    assertThat(e).hasMessageContaining("states[0].key 'fresh-1'").hasMessageContaining("no listed leaf or range covers");
  }

  @Test
  void onSyncBuckets_replyPastTheCap_answersTheFirstKeysAndDefersTheRestOfTheSpan() {
    TestNode a2 = cluster.add("a2", "A", c -> c.withDigestTreeDepth(1)
        .withMaxPeerMessageBytes(ReplicaConfig.MIN_PEER_MESSAGE_BYTES));
    cluster.add("a1", "A");
    List<KeyState> big = new ArrayList<>();
    for (int i = 0; big.size() < 20; i++) {
      String key = i + "-" + "k".repeat(4000);
      if (DigestTree.leafOf(key, 1) == 0) {
        big.add(new KeyState(key, PnCounter.EMPTY.increment(5, 1, 1)));
      }
    }
    a2.store.write(big, StoreAttachment.NONE);
    cluster.start();

    CompletableFuture<BucketSyncResponse> reply = a2.replica.onSyncBuckets(BucketSyncRequest.newBuilder()
        .setFrom(peerRef).setTreeDepth(1).addLeaves(0).build());
    cluster.run(Duration.ZERO);

    BucketSyncResponse r = reply.join();
    assertThat(r.getSerializedSize()).isLessThanOrEqualTo(ReplicaConfig.MIN_PEER_MESSAGE_BYTES);
    assertThat(r.getStatesCount()).isBetween(1, 19);
    List<KeyState> inOrder = new ArrayList<>();
    a2.store.scan(0, a2.replica.digestTree().leafStart(1), inOrder::add);
    assertThat(r.getStatesList()).extracting(dev.tally.peer.v1.CounterState::getKey)
        .containsExactlyElementsOf(inOrder.subList(0, r.getStatesCount()).stream().map(KeyState::key).toList());
    long firstLeftOut = Integer.toUnsignedLong(dev.tally.gossip.digest.KeyHash.of(inOrder.get(r.getStatesCount()).key()));
    assertThat(r.getDeferredRangesList()).containsExactly(HashRange.newBuilder().setStart(firstLeftOut)
        .setEnd(a2.replica.digestTree().leafStart(1)).build());
  }
}
