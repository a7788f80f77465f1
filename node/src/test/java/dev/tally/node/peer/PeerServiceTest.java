package dev.tally.node.peer;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.api.v1.GetRequest;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.PeerServiceGrpc;
import dev.tally.peer.v1.PeerServiceGrpc.PeerServiceBlockingStub;
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReadStatesResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer port of a real node: cluster-id check, input validation, merge-then-ack. */
class PeerServiceTest {
  private static final NodeRef PEER = NodeRef.newBuilder().setName("other").setDc("dc1").build();

  @TempDir
  Path dir;

  private TallyNode node;
  private ManagedChannel peerChannel;

  @BeforeEach
  void start() {
    node = TestNodes.start(dir, "cluster-id", "blue");
    peerChannel = NettyChannelBuilder.forAddress("127.0.0.1", node.peerPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    TestNodes.shutdown(peerChannel);
    node.close();
  }

  private PeerServiceBlockingStub stub(String clusterId) {
    PeerServiceBlockingStub s = PeerServiceGrpc.newBlockingStub(peerChannel).withDeadlineAfter(10, TimeUnit.SECONDS);
    return clusterId == null ? s : s.withInterceptors(ClusterIdInterceptors.client(clusterId, "other"));
  }

  private static DeltaBatch push(String key, long p) {
    return DeltaBatch.newBuilder().setFrom(PEER)
        .addStates(StateMessages.toMessage(key, PnCounter.EMPTY.increment(0x77, p, 1_000))).build();
  }

  @Test
  void call_fromAnotherCluster_isRefusedNamingNeitherId() {
    assertStatus(() -> stub("green").pushDelta(push("k", 5)), Status.Code.FAILED_PRECONDITION,
        "peer call refused: its tally-cluster-id is not this node's cluster id");
    assertThatThrownBy(() -> stub("green").pushDelta(push("k", 5)))
        .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
            .as("the refusal must not hand a caller this node's cluster id").doesNotContain("blue").doesNotContain("green"));
    ManagedChannel client = TestNodes.channel(node);
    try {
      assertThat(TestNodes.blocking(client).get(GetRequest.newBuilder().setKey("k").build()).getValue())
          .as("nothing merged").isZero();
    } finally {
      TestNodes.shutdown(client);
    }
  }

  @Test
  void call_withoutClusterId_isRefused() {
    assertStatus(() -> stub(null).readStates(ReadStatesRequest.newBuilder().setFrom(PEER).addKeys("k").build()),
        Status.Code.FAILED_PRECONDITION, "without the tally-cluster-id header");
    assertThatThrownBy(() -> stub(null).readStates(ReadStatesRequest.newBuilder().setFrom(PEER).addKeys("k").build()))
        .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).doesNotContain("blue"));
  }

  @Test
  void pushDelta_mergesDurablyThenAcks_andReadStatesReturnsTheState() {
    DeltaAck ack = stub("blue").pushDelta(push("k", 5));
    assertThat(ack.getChanged()).isEqualTo(1);
    assertThat(stub("blue").pushDelta(push("k", 5)).getChanged()).as("a duplicate changes nothing").isZero();

    ManagedChannel client = TestNodes.channel(node);
    try {
      assertThat(TestNodes.blocking(client).get(GetRequest.newBuilder().setKey("k").build()).getValue()).isEqualTo(5);
    } finally {
      TestNodes.shutdown(client);
    }
    ReadStatesResponse states = stub("blue").readStates(ReadStatesRequest.newBuilder().setFrom(PEER)
        .addKeys("k").addKeys("none").build());
    assertThat(states.getStatesList()).hasSize(2);
    assertThat(StateMessages.fromMessage(states.getStates(0)).value()).isEqualTo(5);
    assertThat(states.getStates(1).getEntriesCount()).isZero();
  }

  @Test
  void badPeerInput_isInvalidArgument_andChangesNothing() {
    assertStatus(() -> stub("blue").pushDelta(DeltaBatch.newBuilder().addAllStates(push("k", 5).getStatesList()).build()),
        Status.Code.INVALID_ARGUMENT, "PushDelta refused, nothing changed", "from is missing");
    assertStatus(() -> stub("blue").pushDelta(DeltaBatch.newBuilder().setFrom(PEER)
            .addStates(push("", 1).getStates(0)).build()),
        Status.Code.INVALID_ARGUMENT, "states[0].key is empty");
    assertStatus(() -> stub("blue").readStates(ReadStatesRequest.newBuilder()
            .setFrom(NodeRef.newBuilder().setName("test-node").setDc("dc1")).addKeys("k").build()),
        Status.Code.INVALID_ARGUMENT, "this node's own name");
    assertThat(stub("blue").readStates(ReadStatesRequest.newBuilder().setFrom(PEER).addKeys("k").build())
        .getStates(0).getEntriesCount()).isZero();
  }

  @Test
  void closedNode_answersUnavailable() {
    PeerServiceBlockingStub s = stub("blue");
    node.close();
    assertStatus(() -> s.pushDelta(push("k", 1)), Status.Code.UNAVAILABLE);
  }

  @Test
  void pushDelta_thisNodesOwnEntryAhead_isNotMerged_andTheNodeTakesANewReplicaIdDurably() throws Exception {
    ManagedChannel client = TestNodes.channel(node);
    try {
      var counters = TestNodes.blocking(client);
      counters.increment(dev.tally.api.v1.IncrementRequest.newBuilder().setKey("k").setAmount(3).build());
      long own = node.replicaId();

      DeltaAck ack = stub("blue").pushDelta(DeltaBatch.newBuilder().setFrom(PEER)
          .addStates(StateMessages.toMessage("k", PnCounter.of(java.util.List.of(
              new PnCounter.Entry(own, 1_000_000, 0, 1), new PnCounter.Entry(0x77, 2, 0, 1))))).build());

      assertThat(ack.getChanged()).as("the other replica's entry merged").isEqualTo(1);
      assertThat(counters.get(GetRequest.newBuilder().setKey("k").build()).getValue()).isEqualTo(3 + 2);
      long fresh = node.replicaId();
      assertThat(fresh).as("a new replica id at once").isNotEqualTo(own);
      assertThat(counters.increment(dev.tally.api.v1.IncrementRequest.newBuilder().setKey("k").setAmount(1).build())
          .getValue()).isEqualTo(6);
    } finally {
      TestNodes.shutdown(client);
    }
    long fresh = node.replicaId();
    node.close();
    try (dev.tally.node.storage.RocksStateStore store = dev.tally.node.storage.RocksStateStore.open(dir, "blue",
        dev.tally.node.config.Durability.SYNC, dev.tally.gossip.time.Clock.SYSTEM)) {
      assertThat(store.replicaId()).as("the new id is the dir's: a restart keeps writing under it").isEqualTo(fresh);
      assertThat(store.get("k").p(fresh)).isEqualTo(1);
    }
    node = TestNodes.start(dir, "cluster-id", "blue");
  }

  @Test
  void pushDelta_fromANonMemberWithAnUnannouncedReplicaId_isCountedUnderTheUnknownLabel() throws Exception {
    node.close();
    int metricsPort = TestNodes.freePort();
    node = TestNodes.start(dir, "cluster-id", "blue", "metrics-port", Integer.toString(metricsPort));
    TestNodes.shutdown(peerChannel);
    peerChannel = NettyChannelBuilder.forAddress("127.0.0.1", node.peerPort()).usePlaintext().build();

    for (int i = 0; i < 3; i++) {
      NodeRef madeUp = NodeRef.newBuilder().setName("made-up-" + i).setDc("dc1").build();
      stub("blue").pushDelta(DeltaBatch.newBuilder().setFrom(madeUp)
          .addStates(StateMessages.toMessage("k" + i, PnCounter.EMPTY.increment(0x77 + i, 5, 1_000))).build());
    }

    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String text = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertThat(text.lines().filter(l -> l.startsWith("tally_peer_unknown_replica_entries_total{")))
        .singleElement().satisfies(l -> assertThat(l).contains("peer=\"unknown\"").endsWith(" 3.0"));
    assertThat(text).as("no label per made-up sender name").doesNotContain("made-up-");
  }

  @Test
  void pushDelta_keyPastMaxEntriesPerKey_isResourceExhausted_andOnlyThatKeyIsLeftOut() {
    node.close();
    node = TestNodes.start(dir, "cluster-id", "blue", "max-entries-per-key", "2");
    TestNodes.shutdown(peerChannel);
    peerChannel = NettyChannelBuilder.forAddress("127.0.0.1", node.peerPort()).usePlaintext().build();
    PnCounter wide = PnCounter.EMPTY.increment(0x71, 1, 1).increment(0x72, 1, 1).increment(0x73, 1, 1);

    assertStatus(() -> stub("blue").pushDelta(DeltaBatch.newBuilder().setFrom(PEER)
            .addStates(StateMessages.toMessage("wide", wide))
            .addStates(StateMessages.toMessage("narrow", PnCounter.EMPTY.increment(0x71, 4, 1))).build()),
        Status.Code.RESOURCE_EXHAUSTED, "key 'wide' would have 3 replica entries", "max-entries-per-key of 2");
    ManagedChannel client = TestNodes.channel(node);
    try {
      assertThat(TestNodes.blocking(client).get(GetRequest.newBuilder().setKey("wide").build()).getValue()).isZero();
      assertThat(TestNodes.blocking(client).get(GetRequest.newBuilder().setKey("narrow").build()).getValue())
          .isEqualTo(4);
    } finally {
      TestNodes.shutdown(client);
    }
  }
}
