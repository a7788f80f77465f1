package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server-Sent Events for Watch against a real node: the current values first, then a gRPC
 * write's new value; heartbeats; per-connection limits (an HTTP/2 connection is one connection);
 * refusals as plain JSON errors; and a client that goes away frees its Watch.
 */
class HttpWatchTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  @TempDir
  static Path dir;
  static TallyNode node;
  static ManagedChannel channel;
  static CounterServiceGrpc.CounterServiceBlockingStub grpc;
  static String base;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dir, "http-port", Integer.toString(TestNodes.freePort()), "http-sse-heartbeat", "200ms",
        "max-watch-streams-per-connection", "1");
    channel = TestNodes.channel(node);
    grpc = TestNodes.blocking(channel);
    base = "http://127.0.0.1:" + node.httpPort();
  }

  @AfterAll
  static void stop() {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  static HttpClient http1() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  static JsonNode json(String s) throws Exception {
    return HttpTestClient.JSON.readTree(s);
  }

  @Test
  void watch_sendsCurrentValues_thenAGrpcWrite() throws Exception {
    grpc.increment(IncrementRequest.newBuilder().setKey("sse-a").setAmount(7).build());
    try (SseStream s = SseStream.open(http1(), base + "/v1/counters:watch?keys=sse-a,sse%20b")) {
      assertThat(s.response.statusCode()).isEqualTo(200);
      assertThat(s.response.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
      JsonNode first = json(s.nextData("value", WAIT));
      JsonNode second = json(s.nextData("value", WAIT));
      assertThat(java.util.Map.of(first.get("key").asText(), first.get("value").asLong(),
          second.get("key").asText(), second.get("value").asLong())).containsEntry("sse-a", 7L).containsEntry("sse b", 0L);
      grpc.increment(IncrementRequest.newBuilder().setKey("sse b").setAmount(5).build());
      JsonNode update = json(s.nextData("value", WAIT));
      assertThat(update.get("key").asText()).isEqualTo("sse b");
      assertThat(update.get("value").asLong()).isEqualTo(5);
    }
    await().atMost(WAIT).until(() -> node.openWatchStreams() == 0);
  }

  @Test
  void watch_repeatedKeysParameter_andHeartbeats() throws Exception {
    try (SseStream s = SseStream.open(http1(), base + "/v1/counters:watch?keys=hb-1&keys=hb-2")) {
      assertThat(s.nextData("value", WAIT)).contains("hb-");
      assertThat(s.nextData("value", WAIT)).contains("hb-");
      long deadline = System.nanoTime() + WAIT.toNanos();
      boolean heartbeat = false;
      while (!heartbeat && System.nanoTime() < deadline) {
        heartbeat = s.nextLine(WAIT).equals(": heartbeat");
      }
      assertThat(heartbeat).isTrue();
    }
  }

  @Test
  void clientGoingAway_cancelsTheWatch() throws Exception {
    SseStream s = SseStream.open(http1(), base + "/v1/counters:watch?keys=gone");
    s.nextData("value", WAIT);
    assertThat(node.openWatchStreams()).isEqualTo(1);
    s.close();
    await().atMost(WAIT).until(() -> node.openWatchStreams() == 0);
  }

  @Test
  void perConnectionLimit_countsAnHttp2ConnectionOnce_andRefusesWithJson() throws Exception {
    HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    // The first request upgrades the connection to h2c; the streams after share it.
    assertThat(h2.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/counters/warm")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).version()).isEqualTo(HttpClient.Version.HTTP_2);
    try (SseStream one = SseStream.open(h2, base + "/v1/counters:watch?keys=lim")) {
      one.nextData("value", WAIT);
      assertThat(one.response.version()).isEqualTo(HttpClient.Version.HTTP_2);
      HttpTestClient.Reply refused = new HttpTestClient(h2, base).get("/v1/counters:watch?keys=lim2");
      HttpRestTest.assertError(refused, 429, "RESOURCE_EXHAUSTED");
      assertThat(refused.json().get("message").asText()).contains("max-watch-streams-per-connection");
      // Another connection has its own allowance.
      try (SseStream other = SseStream.open(http1(), base + "/v1/counters:watch?keys=lim2")) {
        assertThat(json(other.nextData("value", WAIT)).get("key").asText()).isEqualTo("lim2");
      }
    }
    await().atMost(WAIT).until(() -> node.openWatchStreams() == 0);
  }

  @Test
  void badKeys_areAJsonError_notAStream() {
    HttpTestClient http = HttpTestClient.plain(node.httpPort());
    HttpRestTest.assertError(http.get("/v1/counters:watch"), 400, "INVALID_ARGUMENT");
    HttpRestTest.assertError(http.get("/v1/counters:watch?keys=" + "k".repeat(4097)), 400, "INVALID_ARGUMENT");
    HttpRestTest.assertError(http.get("/v1/counters:watch?keys=a&other=1"), 400, "INVALID_ARGUMENT");
    assertThat(http.method("HEAD", "/v1/counters:watch?keys=a").status()).isEqualTo(405);
    assertThat(http.method("HEAD", "/v1/counters/a").status()).isEqualTo(200);
  }
}
