package dev.tally.node.auth;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.ClusterServiceGrpc;
import dev.tally.api.v1.ClusterStatusRequest;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterServiceGrpc.CounterServiceBlockingStub;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node with {@code auth-tokens} on loopback: every token outcome, the role of every RPC,
 * key prefixes on single and batch calls (nothing applied), health open, reflection admin only,
 * /metrics behind an admin token, request ids scoped to their principal, and the file reloading.
 */
class AuthNodeTest {
  static final String READER = Tokens.create();
  static final String WRITER = Tokens.create();
  static final String RW = Tokens.create();
  static final String RW2 = Tokens.create();
  static final String LIKES = Tokens.create();
  static final String ADMIN = Tokens.create();

  @TempDir
  static Path dir;

  static Path tokenFile;
  static TallyNode node;
  static ManagedChannel channel;
  static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static String file() {
    return Tokens.entry("reader", READER, EnumSet.of(Role.READ), List.of())
        + Tokens.entry("writer", WRITER, EnumSet.of(Role.WRITE), List.of())
        + Tokens.entry("rw", RW, EnumSet.of(Role.READ, Role.WRITE), List.of())
        + Tokens.entry("rw2", RW2, EnumSet.of(Role.READ, Role.WRITE), List.of())
        + Tokens.entry("likes", LIKES, EnumSet.of(Role.READ, Role.WRITE), List.of("likes:", "hearts:"))
        + Tokens.entry("ops", ADMIN, EnumSet.of(Role.ADMIN), List.of());
  }

  @BeforeAll
  static void start() throws IOException {
    tokenFile = dir.resolve("tokens.yaml");
    Files.writeString(tokenFile, file());
    node = TestNodes.start(dir.resolve("data"), "auth-tokens", tokenFile.toString(),
        "metrics-port", Integer.toString(TestNodes.freePort()), "metrics-auth", "token");
    channel = TestNodes.channel(node);
  }

  @AfterAll
  static void stop() {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  static CounterServiceBlockingStub as(String token) {
    return withHeader("Bearer " + token);
  }

  static CounterServiceBlockingStub withHeader(String authorization) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    return TestNodes.blocking(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
  }

  static IncrementRequest incr(String key) {
    return IncrementRequest.newBuilder().setKey(key).build();
  }

  static long value(String key) {
    return as(RW).get(GetRequest.newBuilder().setKey(key).build()).getValue();
  }

  @Test
  void noUnknownOrMalformedToken_isUnauthenticatedWithOneMessage() {
    List<CounterServiceBlockingStub> stubs = List.of(TestNodes.blocking(channel), as("tally_not-a-token"),
        withHeader("Basic dXNlcjpwYXNz"), withHeader("Bearer"), withHeader("Bearer  " + RW + " extra"), withHeader(RW));
    for (CounterServiceBlockingStub stub : stubs) {
      StatusRuntimeException e = assertStatus(() -> stub.increment(incr("anon")), Status.Code.UNAUTHENTICATED);
      assertThat(e.getStatus().getDescription()).isEqualTo(AuthInterceptor.UNAUTHENTICATED);
      assertStatus(() -> stub.get(GetRequest.newBuilder().setKey("anon").build()), Status.Code.UNAUTHENTICATED);
    }
    assertThat(value("anon")).isZero();
  }

  @Test
  void validToken_readsAndWrites_schemeInAnyCase() {
    assertThat(as(RW).increment(incr("valid")).getValue()).isEqualTo(1);
    assertThat(withHeader("bearer " + RW).increment(incr("valid")).getValue()).isEqualTo(2);
    assertThat(as(READER).get(GetRequest.newBuilder().setKey("valid").build()).getValue()).isEqualTo(2);
  }

  @Test
  void roles_eachRpcNeedsItsRole() {
    // read: Get, GetMany, Watch; a write-only token cannot.
    assertStatus(() -> as(WRITER).get(GetRequest.newBuilder().setKey("r").build()), Status.Code.PERMISSION_DENIED,
        "lacks the read role", "tally.v1.CounterService/Get", "it has: write");
    assertStatus(() -> as(WRITER).getMany(GetManyRequest.newBuilder().addKeys("r").build()),
        Status.Code.PERMISSION_DENIED, "read role");
    assertStatus(() -> as(WRITER).watch(WatchRequest.newBuilder().addKeys("r").build()).hasNext(),
        Status.Code.PERMISSION_DENIED, "read role");
    // write: Increment, Decrement, IncrementMany; a read-only token cannot.
    assertStatus(() -> as(READER).increment(incr("r")), Status.Code.PERMISSION_DENIED, "lacks the write role",
        "nothing was applied");
    assertStatus(() -> as(READER).decrement(DecrementRequest.newBuilder().setKey("r").build()),
        Status.Code.PERMISSION_DENIED, "write role");
    assertStatus(() -> as(READER).incrementMany(IncrementManyRequest.newBuilder()
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("r")).build()), Status.Code.PERMISSION_DENIED, "write role");
    // admin: ClusterStatus; a read-write token cannot, admin can, and admin cannot read counters.
    ClusterServiceGrpc.ClusterServiceBlockingStub cluster = ClusterServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    assertStatus(() -> cluster.withInterceptors(header(RW)).clusterStatus(ClusterStatusRequest.getDefaultInstance()),
        Status.Code.PERMISSION_DENIED, "lacks the admin role", "tally.v1.ClusterService/ClusterStatus");
    assertStatus(() -> cluster.clusterStatus(ClusterStatusRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED);
    assertThat(cluster.withInterceptors(header(ADMIN)).clusterStatus(ClusterStatusRequest.getDefaultInstance())
        .getMembersCount()).isPositive();
    assertStatus(() -> as(ADMIN).get(GetRequest.newBuilder().setKey("r").build()), Status.Code.PERMISSION_DENIED,
        "read role");
    // The holders of the roles can.
    assertThat(as(WRITER).increment(incr("r")).getValue()).isEqualTo(1);
    assertThat(as(READER).getMany(GetManyRequest.newBuilder().addKeys("r").build()).getValues(0).getValue())
        .isEqualTo(1);
    assertThat(value("r")).isEqualTo(1);
  }

  static io.grpc.ClientInterceptor header(String token) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return MetadataUtils.newAttachHeadersInterceptor(md);
  }

  @Test
  void prefixes_singleCallsOutsideThemAreRefusedNamingKeyAndPrefixes() {
    assertThat(as(LIKES).increment(incr("likes:p1")).getValue()).isEqualTo(1);
    assertThat(as(LIKES).increment(incr("hearts:p1")).getValue()).isEqualTo(1);
    assertStatus(() -> as(LIKES).increment(incr("views:p1")), Status.Code.PERMISSION_DENIED,
        "key 'views:p1' is outside the key prefixes of principal 'likes' ('likes:', 'hearts:')", "nothing was applied");
    assertStatus(() -> as(LIKES).get(GetRequest.newBuilder().setKey("views:p1").build()),
        Status.Code.PERMISSION_DENIED, "'views:p1'");
    assertStatus(() -> as(LIKES).watch(WatchRequest.newBuilder().addKeys("likes:p1").addKeys("views:p1").build())
        .hasNext(), Status.Code.PERMISSION_DENIED, "keys[1] 'views:p1'");
    String longKey = "x".repeat(4000);
    StatusRuntimeException e = assertStatus(() -> as(LIKES).increment(incr(longKey)), Status.Code.PERMISSION_DENIED,
        "'" + "x".repeat(64) + "...'");
    assertThat(e.getStatus().getDescription()).hasSizeLessThan(300);
    assertThat(value("views:p1")).isZero();
  }

  @Test
  void prefixes_aBatchWithOneKeyOutsideIsRefusedWhole() {
    IncrementManyRequest batch = IncrementManyRequest.newBuilder()
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("likes:b1").setAmount(5))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("hearts:b1").setAmount(5))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("other:b1").setAmount(5))
        .build();
    assertStatus(() -> as(LIKES).incrementMany(batch), Status.Code.PERMISSION_DENIED,
        "items[2].key 'other:b1' is outside", "nothing was applied");
    assertThat(value("likes:b1")).isZero();
    assertThat(value("hearts:b1")).isZero();
    assertThat(value("other:b1")).isZero();
    assertStatus(() -> as(LIKES).getMany(GetManyRequest.newBuilder().addKeys("likes:b1").addKeys("other:b1").build()),
        Status.Code.PERMISSION_DENIED, "keys[1] 'other:b1'");
    // The same batch without the outsider goes through.
    as(LIKES).incrementMany(batch.toBuilder().removeItems(2).build());
    assertThat(value("likes:b1")).isEqualTo(5);
  }

  @Test
  void requestIds_areScopedToThePrincipal() {
    IncrementRequest a = IncrementRequest.newBuilder().setKey("scoped").setRequestId("shared-id").build();
    assertThat(as(RW).increment(a).getValue()).isEqualTo(1);
    // Another principal reusing the id is its own request: it counts.
    assertThat(as(RW2).increment(a).getValue()).isEqualTo(2);
    // A retry by the first is still deduplicated: it answers the first result and counts nothing.
    assertThat(as(RW).increment(a).getValue()).isEqualTo(1);
    assertThat(as(RW2).increment(a).getValue()).isEqualTo(2);
    assertThat(value("scoped")).isEqualTo(2);
    // A misuse of the id is refused quoting the client's own id, not its scoped form.
    StatusRuntimeException e = assertStatus(() -> as(RW).increment(a.toBuilder().setAmount(7).build()),
        Status.Code.INVALID_ARGUMENT, "'shared-id'");
    assertThat(e.getStatus().getDescription()).doesNotContain("@rw/");
  }

  @Test
  void health_isOpenWithoutAToken() {
    HealthCheckResponse r = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService("tally.v1.CounterService").build());
    assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void reflection_isAdminOnly() throws Exception {
    assertThat(listServices(null).getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(listServices(RW).getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    ServerReflectionResponse ok = listServices(ADMIN).getResponse();
    assertThat(ok.getListServicesResponse().getServiceList()).extracting(s -> s.getName())
        .contains("tally.v1.CounterService");
  }

  record Reflected(ServerReflectionResponse response, Status status) {
    ServerReflectionResponse getResponse() {
      assertThat(status).as("reflection failed: %s", status).isNull();
      return response;
    }

    Status getStatus() {
      return status;
    }
  }

  static Reflected listServices(String token) throws Exception {
    CompletableFuture<Reflected> done = new CompletableFuture<>();
    ServerReflectionGrpc.ServerReflectionStub stub = ServerReflectionGrpc.newStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    if (token != null) {
      stub = stub.withInterceptors(header(token));
    }
    StreamObserver<ServerReflectionRequest> req = stub.serverReflectionInfo(new StreamObserver<>() {
      @Override
      public void onNext(ServerReflectionResponse value) {
        done.complete(new Reflected(value, null));
      }

      @Override
      public void onError(Throwable t) {
        done.complete(new Reflected(null, Status.fromThrowable(t)));
      }

      @Override
      public void onCompleted() {}
    });
    req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    Reflected r = done.get(30, TimeUnit.SECONDS);
    req.onCompleted();
    return r;
  }

  @Test
  void metrics_needAnAdminToken_healthDoesNot() throws Exception {
    assertThat(httpGet("/metrics", null).statusCode()).isEqualTo(401);
    assertThat(httpGet("/metrics", "Bearer tally_wrong").statusCode()).isEqualTo(401);
    assertThat(httpGet("/metrics", "Bearer " + RW).statusCode()).isEqualTo(403);
    HttpResponse<String> ok = httpGet("/metrics", "Bearer " + ADMIN);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).contains("tally_auth_tokens{", "tally_auth_reloads_total{");
    assertThat(ok.body()).doesNotContain(ADMIN, RW);
    assertThat(httpGet("/health", null).statusCode()).isEqualTo(200);
  }

  static HttpResponse<String> httpGet(String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.metricsPort() + path))
        .timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void reload_onChange_onSighup_andABadFileKeepsTheOld() throws Exception {
    String late = Tokens.create();
    try {
      // A new entry is picked up when the file changes.
      Files.writeString(tokenFile, file() + Tokens.entry("late", late, EnumSet.of(Role.READ, Role.WRITE), List.of()));
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
          assertThat(as(late).increment(incr("late")).getValue()).isEqualTo(1));
      // A bad version keeps the one in force, on change and on SIGHUP.
      Files.writeString(tokenFile, file() + "- name: broken\n  sha256: nothex\n  roles: [read]\n");
      await().atMost(Duration.ofSeconds(30)).until(() -> !node.tokens().valid());
      Sighup.fire();
      node.tokens().reloadNow();
      assertThat(node.tokens().valid()).isFalse();
      assertThat(as(late).get(GetRequest.newBuilder().setKey("late").build()).getValue()).isEqualTo(1);
      // Removing the entry (SIGHUP-equivalent reload, not waiting for the poll) revokes it.
      Files.writeString(tokenFile, file());
      node.tokens().reloadNow();
      assertThat(node.tokens().valid()).isTrue();
      assertStatus(() -> as(late).get(GetRequest.newBuilder().setKey("late").build()), Status.Code.UNAUTHENTICATED);
      HttpResponse<String> m = httpGet("/metrics", "Bearer " + ADMIN);
      assertThat(m.body()).containsPattern("tally_auth_reloads_total\\{[^}]*result=\"failed\"[^}]*} [1-9]")
          .containsPattern("tally_auth_reloads_total\\{[^}]*result=\"ok\"[^}]*} [1-9]");
    } finally {
      Files.writeString(tokenFile, file());
      node.tokens().reloadNow();
    }
  }

  @Test
  void unparsableRequest_withoutToken_isUnauthenticated_withToken_invalidArgument() {
    // key (field 1) holding the bytes ff fe: not UTF-8.
    byte[] bad = {0x0a, 0x02, (byte) 0xff, (byte) 0xfe};
    io.grpc.MethodDescriptor<byte[], byte[]> raw = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(CounterServiceGrpc.getIncrementMethod().getFullMethodName())
        .setRequestMarshaller(RawBytes.INSTANCE).setResponseMarshaller(RawBytes.INSTANCE).build();
    assertStatus(() -> io.grpc.stub.ClientCalls.blockingUnaryCall(channel, raw,
        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), bad), Status.Code.UNAUTHENTICATED);
    io.grpc.Channel withToken = io.grpc.ClientInterceptors.intercept(channel, header(RW));
    assertStatus(() -> io.grpc.stub.ClientCalls.blockingUnaryCall(withToken, raw,
        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), bad), Status.Code.INVALID_ARGUMENT,
        "key is not valid UTF-8");
    // The node is unharmed.
    assertThat(as(RW).increment(incr("after-bad")).getValue()).isEqualTo(1);
  }

  enum RawBytes implements io.grpc.MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public java.io.InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  @Test
  void watch_withAValidToken_streamsValues() {
    as(LIKES).increment(incr("likes:w"));
    Iterator<CounterValue> it = as(LIKES).watch(WatchRequest.newBuilder().addKeys("likes:w").build());
    assertThat(it.next().getValue()).isEqualTo(1);
  }
}
