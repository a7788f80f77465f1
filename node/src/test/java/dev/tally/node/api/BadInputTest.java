package dev.tally.node.api;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterServiceGrpc.CounterServiceBlockingStub;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.node.TallyNode;
import dev.tally.node.peer.ClusterIdInterceptors;
import dev.tally.node.testing.TestNodes;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.PeerServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status.Code;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, defect 11: input the API cannot represent is answered with the status that says so,
 * naming what was wrong, and the node goes on serving everything else. Invalid UTF-8 in a string
 * field is INVALID_ARGUMENT (not the UNKNOWN of a request that failed to parse); a merged value
 * outside int64 is OUT_OF_RANGE naming the key, on every call that would show it.
 */
class BadInputTest {
  private static final NodeRef PEER = NodeRef.newBuilder().setName("other").setDc("dc1").build();

  @TempDir
  Path dir;

  private TallyNode node;
  private ManagedChannel channel;
  private CounterServiceBlockingStub stub;

  @BeforeEach
  void start() {
    node = TestNodes.start(dir, "cluster-id", "blue");
    channel = TestNodes.channel(node);
    stub = TestNodes.blocking(channel);
  }

  @AfterEach
  void stop() {
    TestNodes.shutdown(channel);
    node.close();
  }

  // ---- invalid UTF-8 ------------------------------------------------------------------------

  /** Sends raw bytes as the request of {@code method}, as a client with a broken encoder would. */
  private static byte[] call(ManagedChannel ch, MethodDescriptor<?, ?> method, byte[] request) {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(method.getFullMethodName())
        .setRequestMarshaller(Bytes.INSTANCE)
        .setResponseMarshaller(Bytes.INSTANCE)
        .build();
    return ClientCalls.blockingUnaryCall(ch, raw, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
  }

  private static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return out;
  }

  @Test
  void increment_keyNotUtf8_isInvalidArgumentNamingTheField() {
    // field 1 (key), 2 bytes: C3 28 is a lead byte followed by a non-continuation byte.
    byte[] request = bytes(0x0A, 0x02, 0xC3, 0x28);

    assertStatus(() -> call(channel, CounterServiceGrpc.getIncrementMethod(), request), Code.INVALID_ARGUMENT,
        "key is not valid UTF-8");
    assertThat(stub.increment(IncrementRequest.newBuilder().setKey("fine").build()).getValue())
        .as("the node serves the next call").isEqualTo(1);
  }

  @Test
  void increment_requestIdNotUtf8_isInvalidArgumentNamingTheField() {
    // key "k", then field 3 (request_id), 2 bytes FF FE (never valid in UTF-8).
    byte[] request = bytes(0x0A, 0x01, 'k', 0x1A, 0x02, 0xFF, 0xFE);

    assertStatus(() -> call(channel, CounterServiceGrpc.getIncrementMethod(), request), Code.INVALID_ARGUMENT,
        "request_id is not valid UTF-8");
    assertThat(stub.get(GetRequest.newBuilder().setKey("k").build()).getValue()).as("nothing applied").isZero();
  }

  @Test
  void incrementMany_itemKeyNotUtf8_isInvalidArgumentNamingTheItem() {
    // items[0] = {key "a"}, items[1] = {key C3 28}.
    byte[] request = bytes(0x0A, 0x03, 0x0A, 0x01, 'a', 0x0A, 0x04, 0x0A, 0x02, 0xC3, 0x28);

    assertStatus(() -> call(channel, CounterServiceGrpc.getIncrementManyMethod(), request), Code.INVALID_ARGUMENT,
        "items[1].key is not valid UTF-8");
  }

  @Test
  void get_truncatedMessage_isInvalidArgument() {
    // field 1 says 5 bytes follow; 1 does.
    byte[] request = bytes(0x0A, 0x05, 'k');

    assertStatus(() -> call(channel, CounterServiceGrpc.getGetMethod(), request), Code.INVALID_ARGUMENT,
        "could not be parsed");
  }

  // ---- values beyond int64 --------------------------------------------------------------------

  @Test
  void mergedValueBeyondInt64_isOutOfRangeNamingTheKey_onEveryCall_andOtherKeysWork() {
    // This node holds Long.MAX_VALUE increments of its own; a peer's entry of as many is merged in.
    stub.increment(IncrementRequest.newBuilder().setKey("big").setAmount(Long.MAX_VALUE).build());
    Iterator<CounterValue> watch = stub.watch(WatchRequest.newBuilder().addKeys("big").build());
    assertThat(watch.next().getValue()).isEqualTo(Long.MAX_VALUE);
    ManagedChannel peer = NettyChannelBuilder.forAddress("127.0.0.1", node.peerPort()).usePlaintext().build();
    try {
      PeerServiceGrpc.newBlockingStub(peer).withInterceptors(ClusterIdInterceptors.client("blue", "other"))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .pushDelta(DeltaBatch.newBuilder().setFrom(PEER)
              .addStates(StateMessages.toMessage("big", PnCounter.EMPTY.increment(0x77, Long.MAX_VALUE, 1_000))).build());
    } finally {
      TestNodes.shutdown(peer);
    }

    assertStatus(watch::next, Code.OUT_OF_RANGE, "'big'", "does not fit in int64");
    assertStatus(() -> stub.get(GetRequest.newBuilder().setKey("big").build()), Code.OUT_OF_RANGE, "'big'",
        "does not fit in int64");
    assertStatus(() -> stub.get(GetRequest.newBuilder().setKey("big").setConsistency(Consistency.CONSISTENCY_QUORUM)
        .build()), Code.OUT_OF_RANGE, "'big'", "does not fit in int64");
    assertStatus(() -> stub.increment(IncrementRequest.newBuilder().setKey("big").setRequestId("i1").build()),
        Code.OUT_OF_RANGE, "key 'big'", "nothing was applied");
    assertStatus(() -> stub.decrement(DecrementRequest.newBuilder().setKey("big").build()),
        Code.OUT_OF_RANGE, "key 'big'", "nothing was applied");
    assertStatus(() -> stub.incrementMany(IncrementManyRequest.newBuilder()
            .addItems(IncrementManyRequest.Item.newBuilder().setKey("small"))
            .addItems(IncrementManyRequest.Item.newBuilder().setKey("big")).build()),
        Code.OUT_OF_RANGE, "items[1] (key 'big')");
    Iterator<CounterValue> late = stub.watch(WatchRequest.newBuilder().addKeys("big").build());
    assertStatus(late::next, Code.OUT_OF_RANGE, "'big'");

    assertThat(stub.increment(IncrementRequest.newBuilder().setKey("small").setAmount(2).build()).getValue())
        .as("other keys are served").isEqualTo(2);
    assertThat(stub.get(GetRequest.newBuilder().setKey("small").setConsistency(Consistency.CONSISTENCY_QUORUM).build())
        .getValue()).isEqualTo(2);
    assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
  }

  /** Request and response bytes as they are on the wire. */
  private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
