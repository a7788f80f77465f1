package dev.tally.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementManyResponse;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import dev.tally.node.testing.WatchClient;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every client-port limit refuses with RESOURCE_EXHAUSTED naming the limit, and changes nothing. */
class ResourceLimitsTest {
  private static final Metadata.Key<String> TEST_PRINCIPAL =
      Metadata.Key.of("test-principal", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir
  Path dir;

  private TallyNode node;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private Server inProcessServer;
  private String inProcessName;

  private void start(String... overrides) {
    node = TestNodes.start(dir, overrides);
  }

  private ManagedChannel connection() {
    ManagedChannel c = TestNodes.channel(node);
    channels.add(c);
    return c;
  }

  /**
   * The node's services over the in-process transport, whose readiness follows the client's
   * requests exactly; a {@code test-principal} header stands in for the authentication interceptor.
   */
  private ManagedChannel inProcess() throws Exception {
    if (inProcessServer == null) {
      inProcessName = "limits-" + System.nanoTime();
      InProcessServerBuilder builder = InProcessServerBuilder.forName(inProcessName).directExecutor();
      ServerInterceptor principal = new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
          String name = headers.get(TEST_PRINCIPAL);
          return name == null ? next.startCall(call, headers)
              : Contexts.interceptCall(io.grpc.Context.current().withValue(CallPrincipal.NAME, name), call, headers, next);
        }
      };
      node.serviceDefinitions().forEach(d -> builder.addService(ServerInterceptors.intercept(d, principal)));
      inProcessServer = builder.build().start();
    }
    ManagedChannel c = InProcessChannelBuilder.forName(inProcessName).directExecutor().build();
    channels.add(c);
    return c;
  }

  private static io.grpc.Channel as(io.grpc.Channel channel, String principal) {
    Metadata headers = new Metadata();
    headers.put(TEST_PRINCIPAL, principal);
    return io.grpc.ClientInterceptors.intercept(channel,
        io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @AfterEach
  void stop() throws InterruptedException {
    channels.forEach(TestNodes::shutdown);
    if (inProcessServer != null) {
      inProcessServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (node != null) {
      node.close();
    }
  }

  private static Status refusal(WatchClient w) {
    await().atMost(Duration.ofSeconds(10)).until(() -> w.error() != null);
    return Status.fromThrowable(w.error());
  }

  private static List<String> keys(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  @Test
  void watch_pastTheStreamsPerConnection_isRefused_whileAnotherConnectionStillWatches() throws Exception {
    start("max-watch-streams-per-connection", "2");
    ManagedChannel one = connection();
    WatchClient a = WatchClient.open(one, List.of("k"));
    WatchClient b = WatchClient.open(one, List.of("k"));
    a.next();
    b.next();

    Status status = refusal(WatchClient.open(one, List.of("k")));
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("this connection already has 2 Watch streams open",
        "max-watch-streams-per-connection");

    WatchClient other = WatchClient.open(connection(), List.of("k"));
    assertThat(other.next().getValue()).as("another connection is not held up by the first").isZero();
    a.cancel();
    await().atMost(Duration.ofSeconds(10)).until(() -> node.openWatchStreams() == 2);
    assertThat(WatchClient.open(one, List.of("k")).next().getValue()).as("a slot freed by the connection's own stream")
        .isZero();
  }

  @Test
  void watch_pastTheKeysPerConnection_isRefused() throws Exception {
    start("max-watch-keys-per-connection", "3");
    ManagedChannel one = connection();
    WatchClient a = WatchClient.open(one, List.of("a", "b"));
    a.next();

    Status status = refusal(WatchClient.open(one, List.of("c", "d")));
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("already watches 2 keys", "2 more", "max-watch-keys-per-connection (3)");
    assertThat(WatchClient.open(one, List.of("c")).next().getValue()).as("exactly at the limit").isZero();
  }

  @Test
  void watch_pastTheStreamsPerPrincipal_isRefusedAcrossConnections_butNotForAnonymous() throws Exception {
    start("max-watch-streams-per-principal", "2");
    WatchClient a = WatchClient.open(as(inProcess(), "web"), List.of("k"));
    WatchClient b = WatchClient.open(as(inProcess(), "web"), List.of("k"));
    a.next();
    b.next();

    Status status = refusal(WatchClient.open(as(inProcess(), "web"), List.of("k")));
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("principal 'web' already has 2 Watch streams",
        "max-watch-streams-per-principal");
    assertThat(WatchClient.open(as(inProcess(), "other"), List.of("k")).next().getValue())
        .as("another principal is not held up").isZero();
    for (int i = 0; i < 3; i++) {
      // With auth off every client is "anonymous": the per-principal cap would be a node-wide one.
      assertThat(WatchClient.open(inProcess(), List.of("k")).next().getValue()).isZero();
    }
  }

  @Test
  void watch_slowConsumer_isDroppedWithResourceExhausted_andItsSlotFreed() throws Exception {
    start("max-watch-pending-updates", "1000");
    List<String> watched = keys("w", 600);
    WatchClient slow = WatchClient.open(inProcess(), watched, 0); // asks for nothing: never ready

    ManagedChannel writer = connection();
    IncrementManyRequest.Builder batch = IncrementManyRequest.newBuilder();
    watched.forEach(k -> batch.addItems(IncrementManyRequest.Item.newBuilder().setKey(k).setAmount(1)));
    await().atMost(Duration.ofSeconds(10)).until(() -> node.openWatchStreams() == 1);
    TestNodes.blocking(writer).incrementMany(batch.build()); // 600 snapshot values + 600 updates > 1000

    await().atMost(Duration.ofSeconds(10)).until(() -> node.openWatchStreams() == 0);
    slow.request(Integer.MAX_VALUE);
    Status status = refusal(slow);
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("updates behind", "max-watch-pending-updates is 1000");
    assertThat(slow.received()).as("it was sent nothing it did not ask for").isZero();
  }

  @Test
  void watch_consumerThatReads_isNeverDropped() throws Exception {
    start("max-watch-pending-updates", "1000");
    WatchClient reader = WatchClient.open(connection(), List.of("k"));
    reader.next();
    ManagedChannel writer = connection();
    for (int i = 1; i <= 1500; i++) {
      TestNodes.blocking(writer).increment(IncrementRequest.newBuilder().setKey("k").build());
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      CounterValue v;
      long last = -1;
      while ((v = reader.poll()) != null) {
        last = v.getValue();
      }
      return last == 1500 || reader.error() != null;
    });
    assertThat(reader.error()).isNull();
  }

  @Test
  void clientMessage_largerThanTheLimit_isResourceExhausted_andNothingApplied() {
    start("max-client-message-bytes", "65536");
    ManagedChannel c = connection();
    IncrementManyRequest.Builder batch = IncrementManyRequest.newBuilder();
    keys("k".repeat(100), 1000).forEach(k -> batch.addItems(IncrementManyRequest.Item.newBuilder().setKey(k).setAmount(1)));
    assertThat(batch.build().getSerializedSize()).isGreaterThan(65536);

    assertThatThrownBy(() -> TestNodes.blocking(c).incrementMany(batch.build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
          assertThat(e.getStatus().getDescription()).contains("65536");
        });
    assertThat(TestNodes.blocking(c).get(dev.tally.api.v1.GetRequest.newBuilder().setKey("k".repeat(100) + "0").build())
        .getValue()).isZero();
    IncrementManyRequest.Builder small = IncrementManyRequest.newBuilder();
    keys("s", 100).forEach(k -> small.addItems(IncrementManyRequest.Item.newBuilder().setKey(k).setAmount(1)));
    assertThat(TestNodes.blocking(c).incrementMany(small.build()).getValuesCount()).isEqualTo(100);
  }

  @Test
  void pendingWriteBytes_pastTheLimit_areShedWhileTheStoreIsBusy() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean block = new java.util.concurrent.atomic.AtomicBoolean();
    node = TallyNode.start(TestNodes.config(dir, "max-pending-write-bytes", "1048576"),
        TallyNode.Options.defaults().withStoreWriteHook(counters -> {
          if (counters > 0 && block.get()) {
            blocked.countDown();
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        }));
    ManagedChannel c = connection();
    IncrementManyRequest.Builder big = IncrementManyRequest.newBuilder();
    keys("x".repeat(2000), 400).forEach(k -> big.addItems(IncrementManyRequest.Item.newBuilder().setKey(k).setAmount(1)));
    block.set(true);
    var first = CounterServiceGrpc.newFutureStub(c).incrementMany(big.build());
    assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();

    // ~1.6 MB of estimated memory is pending: the next write, however small, waits behind it.
    assertThatThrownBy(() -> TestNodes.blocking(c).increment(IncrementRequest.newBuilder().setKey("small").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
          assertThat(e.getStatus().getDescription()).contains("1048576 bytes of writes pending", "max-pending-write-bytes");
        });

    block.set(false);
    release.countDown();
    IncrementManyResponse done = first.get(30, TimeUnit.SECONDS);
    assertThat(done.getValuesCount()).as("a single write larger than the limit still goes alone").isEqualTo(400);
    assertThat(TestNodes.blocking(c).increment(IncrementRequest.newBuilder().setKey("small").build()).getValue())
        .as("the shed write applied nothing; this one applies once").isEqualTo(1);
  }
}
