package dev.tally.node.api;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.ClusterServiceGrpc;
import dev.tally.api.v1.ClusterStatusRequest;
import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.CounterServiceGrpc.CounterServiceBlockingStub;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementManyResponse;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.MemberStatus;
import dev.tally.api.v1.WatchRequest;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.time.Clock;
import dev.tally.node.TallyNode;
import dev.tally.node.config.Durability;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every RPC and every bad input, over real gRPC (Netty on loopback) against one node. */
class CounterServiceTest {

  @TempDir
  static Path dir;

  static TallyNode node;
  static ManagedChannel channel;
  static CounterServiceBlockingStub stub;

  private static final AtomicInteger keys = new AtomicInteger();
  private static final String KEY_4096 = "k".repeat(4096);
  private static final String KEY_4097_BYTES = "é".repeat(2048) + "x"; // 2049 chars, 4097 bytes

  @BeforeAll
  static void start() {
    node = TestNodes.start(dir.resolve("data"));
    channel = TestNodes.channel(node);
    stub = TestNodes.blocking(channel);
  }

  @AfterAll
  static void stop() {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  private static String freshKey() {
    return "key-" + keys.incrementAndGet();
  }

  private static long value(String key) {
    return stub.get(GetRequest.newBuilder().setKey(key).build()).getValue();
  }

  private static CounterValue inc(String key, long amount) {
    return stub.increment(IncrementRequest.newBuilder().setKey(key).setAmount(amount).build());
  }

  // ---- happy paths -------------------------------------------------------------------------

  @Test
  void increment_withoutAmount_addsOne() {
    String key = freshKey();

    CounterValue v = stub.increment(IncrementRequest.newBuilder().setKey(key).build());

    assertThat(v.getKey()).isEqualTo(key);
    assertThat(v.getValue()).isEqualTo(1);
    assertThat(v.hasUpdatedAt()).isTrue();
    assertThat(v.getUpdatedAt().getSeconds()).isPositive();
  }

  @Test
  void increment_withAmount_addsItAndGetReadsIt() {
    String key = freshKey();

    assertThat(inc(key, 41).getValue()).isEqualTo(41);
    assertThat(inc(key, 1).getValue()).isEqualTo(42);
    CounterValue read = stub.get(GetRequest.newBuilder().setKey(key).build());

    assertThat(read.getValue()).isEqualTo(42);
    assertThat(read.hasUpdatedAt()).isTrue();
  }

  @Test
  void decrement_belowZero_goesNegative() {
    String key = freshKey();
    inc(key, 2);

    CounterValue v = stub.decrement(DecrementRequest.newBuilder().setKey(key).setAmount(5).build());
    CounterValue once = stub.decrement(DecrementRequest.newBuilder().setKey(key).build());

    assertThat(v.getValue()).isEqualTo(-3);
    assertThat(once.getValue()).isEqualTo(-4);
  }

  @Test
  void get_neverWrittenKey_readsZeroWithoutUpdateTime() {
    CounterValue v = stub.get(GetRequest.newBuilder().setKey(freshKey()).build());

    assertThat(v.getValue()).isZero();
    assertThat(v.hasUpdatedAt()).isFalse();
  }

  @Test
  void get_keyOfExactly4096Bytes_isAccepted() {
    assertThat(inc(KEY_4096, 1).getValue()).isPositive();
    assertThat(value(KEY_4096)).isPositive();
  }

  @Test
  void quorumConsistency_onASingleNode_isServedLikeLocal() {
    String key = freshKey();

    CounterValue w = stub.increment(IncrementRequest.newBuilder().setKey(key).setConsistency(Consistency.CONSISTENCY_QUORUM).build());
    CounterValue r = stub.get(GetRequest.newBuilder().setKey(key).setConsistency(Consistency.CONSISTENCY_QUORUM).build());

    assertThat(w.getValue()).isEqualTo(1);
    assertThat(r.getValue()).isEqualTo(1);
  }

  @Test
  void getMany_returnsValuesInRequestOrderIncludingRepeats() {
    String a = freshKey();
    String b = freshKey();
    inc(a, 3);
    inc(b, 7);

    List<CounterValue> values = stub.getMany(GetManyRequest.newBuilder()
        .addKeys(b).addKeys(freshKey()).addKeys(a).addKeys(b).build()).getValuesList();

    assertThat(values).extracting(CounterValue::getValue).containsExactly(7L, 0L, 3L, 7L);
    assertThat(values.get(0).getKey()).isEqualTo(b);
    assertThat(values.get(2).getKey()).isEqualTo(a);
  }

  @Test
  void incrementMany_appliesEveryItemAndReturnsValuesAfterTheBatch() {
    String a = freshKey();
    String b = freshKey();
    inc(b, 10);

    IncrementManyResponse r = stub.incrementMany(IncrementManyRequest.newBuilder()
        .addItems(IncrementManyRequest.Item.newBuilder().setKey(a))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey(b).setAmount(-4))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey(a).setAmount(5))
        .build());

    assertThat(r.getValuesList()).extracting(CounterValue::getKey).containsExactly(a, b, a);
    assertThat(r.getValuesList()).extracting(CounterValue::getValue).containsExactly(6L, 6L, 6L);
    assertThat(value(a)).isEqualTo(6);
    assertThat(value(b)).isEqualTo(6);
  }

  @Test
  void incrementMany_minLongAmount_decrementsBy2To63() {
    String key = freshKey();

    IncrementManyResponse r = stub.incrementMany(IncrementManyRequest.newBuilder()
        .addItems(IncrementManyRequest.Item.newBuilder().setKey(key).setAmount(Long.MIN_VALUE)).build());

    assertThat(r.getValues(0).getValue()).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void incrementMany_fullBatchOfLargestKeys_fitsTheMessageLimit() {
    IncrementManyRequest.Builder b = IncrementManyRequest.newBuilder();
    for (int i = 0; i < Limits.MAX_BATCH; i++) {
      String prefix = "full-" + i + "-";
      b.addItems(IncrementManyRequest.Item.newBuilder().setKey(prefix + "x".repeat(4096 - prefix.length())));
    }

    IncrementManyResponse r = stub.incrementMany(b.build());

    assertThat(r.getValuesCount()).isEqualTo(1000);
    assertThat(r.getValuesList()).allSatisfy(v -> assertThat(v.getValue()).isEqualTo(1));
  }

  @Test
  void clusterStatus_singleNode_listsOnlyItselfAlive() {
    ClusterStatusResponse s = ClusterServiceGrpc.newBlockingStub(channel).clusterStatus(ClusterStatusRequest.getDefaultInstance());

    assertThat(s.getClusterId()).isEqualTo("tally");
    assertThat(s.getNode()).isEqualTo("test-node");
    assertThat(s.getMembersList()).hasSize(1);
    MemberStatus self = s.getMembers(0);
    assertThat(self.getSelf()).isTrue();
    assertThat(self.getState()).isEqualTo(MemberStatus.State.STATE_ALIVE);
    assertThat(self.getReplicaId()).isEqualTo(ReplicaIds.format(node.replicaId()));
    assertThat(self.getClientAddress()).isEqualTo("127.0.0.1:" + node.clientPort());
    assertThat(self.getPeerAddress()).isEqualTo("127.0.0.1:" + node.peerPort());
  }

  @Test
  void clusterStatus_writesApplied_countsEachDurableWriteCallOnce() {
    String key = freshKey();
    long before = writesApplied();

    inc(key, 5);
    stub.decrement(DecrementRequest.newBuilder().setKey(key).setAmount(2).build());
    stub.incrementMany(IncrementManyRequest.newBuilder()
        .addItems(IncrementManyRequest.Item.newBuilder().setKey(key))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey(freshKey())).build());
    IncrementRequest once = IncrementRequest.newBuilder().setKey(key).setRequestId("writes-applied-" + key).build();
    stub.increment(once);
    stub.increment(once); // answered from the dedupe index: nothing applied
    assertStatus(() -> stub.increment(IncrementRequest.newBuilder().setKey("").build()), Code.INVALID_ARGUMENT);

    assertThat(writesApplied() - before).isEqualTo(4);
    assertThat(value(key)).isEqualTo(5);
  }

  private long writesApplied() {
    return ClusterServiceGrpc.newBlockingStub(channel).clusterStatus(ClusterStatusRequest.getDefaultInstance())
        .getWritesApplied();
  }

  @Test
  void health_overall_and_counterService_areServing() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);

    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("tally.v1.CounterService").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  // ---- bad input: INVALID_ARGUMENT naming field and limit, nothing changed --------------------

  @Test
  void increment_and_decrement_badInput_isInvalidArgumentAndChangesNothing() {
    String key = freshKey();
    inc(key, 5);
    record Bad(String what, IncrementRequest.Builder inc, String[] fragments) {}
    List<Bad> cases = List.of(
        new Bad("empty key", IncrementRequest.newBuilder().setKey(""), new String[] {"key is empty", "1..4096 bytes"}),
        new Bad("long key", IncrementRequest.newBuilder().setKey(KEY_4097_BYTES),
            new String[] {"key is 4097 bytes", "limit is 4096 bytes"}),
        new Bad("zero amount", IncrementRequest.newBuilder().setKey(key).setAmount(0),
            new String[] {"amount must be >= 1", "got 0"}),
        new Bad("negative amount", IncrementRequest.newBuilder().setKey(key).setAmount(-5),
            new String[] {"amount must be >= 1", "got -5"}),
        new Bad("long request id", IncrementRequest.newBuilder().setKey(key).setRequestId("r".repeat(129)),
            new String[] {"request_id is 129 bytes", "limit is 128 bytes"}),
        new Bad("unknown consistency", IncrementRequest.newBuilder().setKey(key).setConsistencyValue(99),
            new String[] {"consistency has unknown value 99"}));
    for (Bad bad : cases) {
      IncrementRequest i = bad.inc().build();
      assertStatus(() -> stub.increment(i), Code.INVALID_ARGUMENT, bad.fragments());
      DecrementRequest.Builder d = DecrementRequest.newBuilder().setKey(i.getKey()).setRequestId(i.getRequestId())
          .setConsistencyValue(i.getConsistencyValue());
      if (i.hasAmount()) {
        d.setAmount(i.getAmount());
      }
      assertStatus(() -> stub.decrement(d.build()), Code.INVALID_ARGUMENT, bad.fragments());
      assertThat(value(key)).as(bad.what()).isEqualTo(5);
    }
  }

  @Test
  void increment_requestIdOfExactly128Bytes_isAccepted() {
    assertThat(stub.increment(IncrementRequest.newBuilder().setKey(freshKey()).setRequestId("r".repeat(128)).build())
        .getValue()).isEqualTo(1);
  }

  @Test
  void get_badInput_isInvalidArgument() {
    assertStatus(() -> stub.get(GetRequest.newBuilder().setKey("").build()), Code.INVALID_ARGUMENT, "key is empty");
    assertStatus(() -> stub.get(GetRequest.newBuilder().setKey(KEY_4097_BYTES).build()), Code.INVALID_ARGUMENT,
        "key is 4097 bytes", "limit is 4096");
    assertStatus(() -> stub.get(GetRequest.newBuilder().setKey("k").setConsistencyValue(7).build()),
        Code.INVALID_ARGUMENT, "consistency has unknown value 7");
  }

  @Test
  void getMany_badInput_namesTheIndexAndLimit() {
    assertStatus(() -> stub.getMany(GetManyRequest.getDefaultInstance()), Code.INVALID_ARGUMENT,
        "keys is empty", "1..1000");
    GetManyRequest.Builder tooMany = GetManyRequest.newBuilder();
    for (int i = 0; i < 1001; i++) {
      tooMany.addKeys("k" + i);
    }
    assertStatus(() -> stub.getMany(tooMany.build()), Code.INVALID_ARGUMENT, "keys has 1001 entries", "limit is 1000");
    GetManyRequest.Builder emptyAt17 = GetManyRequest.newBuilder();
    for (int i = 0; i < 20; i++) {
      emptyAt17.addKeys(i == 17 ? "" : "k" + i);
    }
    assertStatus(() -> stub.getMany(emptyAt17.build()), Code.INVALID_ARGUMENT, "keys[17] is empty");
    assertStatus(() -> stub.getMany(GetManyRequest.newBuilder().addKeys("a").addKeys(KEY_4097_BYTES).build()),
        Code.INVALID_ARGUMENT, "keys[1] is 4097 bytes", "limit is 4096");
  }

  @Test
  void incrementMany_badInput_namesTheIndexAndAppliesNothing() {
    String key = freshKey();
    inc(key, 5);
    assertStatus(() -> stub.incrementMany(IncrementManyRequest.getDefaultInstance()), Code.INVALID_ARGUMENT,
        "items is empty", "1..1000");
    IncrementManyRequest.Builder tooMany = IncrementManyRequest.newBuilder();
    for (int i = 0; i < 1001; i++) {
      tooMany.addItems(IncrementManyRequest.Item.newBuilder().setKey(key));
    }
    assertStatus(() -> stub.incrementMany(tooMany.build()), Code.INVALID_ARGUMENT, "items has 1001 entries",
        "limit is 1000");
    assertStatus(() -> stub.incrementMany(batchWithBadItem(key, 17, IncrementManyRequest.Item.newBuilder().setKey(""))),
        Code.INVALID_ARGUMENT, "items[17].key is empty", "1..4096 bytes");
    assertStatus(() -> stub.incrementMany(batchWithBadItem(key, 5,
        IncrementManyRequest.Item.newBuilder().setKey(KEY_4097_BYTES))), Code.INVALID_ARGUMENT,
        "items[5].key is 4097 bytes", "limit is 4096");
    assertStatus(() -> stub.incrementMany(batchWithBadItem(key, 2,
        IncrementManyRequest.Item.newBuilder().setKey(key).setAmount(0))), Code.INVALID_ARGUMENT,
        "items[2].amount must not be 0");
    assertStatus(() -> stub.incrementMany(IncrementManyRequest.newBuilder()
            .addItems(IncrementManyRequest.Item.newBuilder().setKey(key)).setRequestId("x".repeat(200)).build()),
        Code.INVALID_ARGUMENT, "request_id is 200 bytes", "limit is 128");
    assertStatus(() -> stub.incrementMany(IncrementManyRequest.newBuilder()
            .addItems(IncrementManyRequest.Item.newBuilder().setKey(key)).setConsistencyValue(3).build()),
        Code.INVALID_ARGUMENT, "consistency has unknown value 3");

    assertThat(value(key)).isEqualTo(5);
  }

  private static IncrementManyRequest batchWithBadItem(String key, int badIndex, IncrementManyRequest.Item.Builder bad) {
    IncrementManyRequest.Builder b = IncrementManyRequest.newBuilder();
    for (int i = 0; i < 20; i++) {
      b.addItems(i == badIndex ? bad : IncrementManyRequest.Item.newBuilder().setKey(key).setAmount(100));
    }
    return b.build();
  }

  @Test
  void watch_badInput_isInvalidArgument() {
    assertStatus(() -> stub.watch(WatchRequest.getDefaultInstance()).hasNext(), Code.INVALID_ARGUMENT,
        "keys is empty", "1..1000");
    WatchRequest.Builder tooMany = WatchRequest.newBuilder();
    for (int i = 0; i < 1001; i++) {
      tooMany.addKeys("w" + i);
    }
    assertStatus(() -> stub.watch(tooMany.build()).hasNext(), Code.INVALID_ARGUMENT, "keys has 1001 entries",
        "limit is 1000");
    assertStatus(() -> stub.watch(WatchRequest.newBuilder().addKeys("a").addKeys("b").addKeys("").build()).hasNext(),
        Code.INVALID_ARGUMENT, "keys[2] is empty");
    assertStatus(() -> stub.watch(WatchRequest.newBuilder().addKeys(KEY_4097_BYTES).build()).hasNext(),
        Code.INVALID_ARGUMENT, "keys[0] is 4097 bytes");
  }

  // ---- overflow: OUT_OF_RANGE, nothing applied ---------------------------------------------

  @Test
  void increment_pastInt64_isOutOfRangeAndChangesNothing() {
    String key = freshKey();
    inc(key, Long.MAX_VALUE);

    assertStatus(() -> inc(key, 1), Code.OUT_OF_RANGE, "key '" + key + "'", "nothing was applied");
    assertThat(value(key)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void decrement_pastInt64Min_isOutOfRangeAndChangesNothing() {
    String key = freshKey();
    stub.decrement(DecrementRequest.newBuilder().setKey(key).setAmount(Long.MAX_VALUE).build());
    stub.decrement(DecrementRequest.newBuilder().setKey(key).setAmount(1).build());

    assertStatus(() -> stub.decrement(DecrementRequest.newBuilder().setKey(key).setAmount(1).build()),
        Code.OUT_OF_RANGE, "nothing was applied");
    assertThat(value(key)).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void incrementMany_oneItemOverflows_appliesNoItem() {
    String full = freshKey();
    String other = freshKey();
    inc(full, Long.MAX_VALUE - 1);

    assertStatus(() -> stub.incrementMany(IncrementManyRequest.newBuilder()
        .addItems(IncrementManyRequest.Item.newBuilder().setKey(other).setAmount(3))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey(full).setAmount(1))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey(full).setAmount(1))
        .build()), Code.OUT_OF_RANGE, "items[2] (key '" + full + "')", "nothing was applied");

    assertThat(value(other)).isZero();
    assertThat(value(full)).isEqualTo(Long.MAX_VALUE - 1);
  }

  @Test
  void get_valueBeyondInt64FromTwoReplicas_isOutOfRange(@TempDir Path otherDir) {
    // Two replicas together past 2^63: only possible with replication, so the state is planted.
    long self;
    try (RocksStateStore store = RocksStateStore.open(otherDir, "tally", Durability.SYNC, Clock.SYSTEM)) {
      self = store.replicaId();
      PnCounter big = PnCounter.EMPTY.increment(self, Long.MAX_VALUE, 1).merge(
          PnCounter.EMPTY.increment(self ^ 1, Long.MAX_VALUE, 1));
      store.write(List.of(new KeyState("big", big)), StoreAttachment.NONE);
    }
    try (TallyNode other = TestNodes.start(otherDir)) {
      ManagedChannel ch = TestNodes.channel(other);
      try {
        CounterServiceBlockingStub s = TestNodes.blocking(ch);
        assertStatus(() -> s.get(GetRequest.newBuilder().setKey("big").build()), Code.OUT_OF_RANGE,
            "value of key 'big' does not fit in int64");
        assertStatus(() -> s.getMany(GetManyRequest.newBuilder().addKeys("a").addKeys("big").build()),
            Code.OUT_OF_RANGE, "'big'");
        assertStatus(() -> s.increment(IncrementRequest.newBuilder().setKey("big").build()), Code.OUT_OF_RANGE);
        Iterator<CounterValue> watch = s.watch(WatchRequest.newBuilder().addKeys("big").build());
        assertStatus(watch::next, Code.OUT_OF_RANGE, "'big'");
      } finally {
        TestNodes.shutdown(ch);
      }
    }
    assertThat(self).isNotZero();
  }
}
