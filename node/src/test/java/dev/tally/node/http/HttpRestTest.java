package dev.tally.node.http;

import static dev.tally.node.http.HttpTestClient.path;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;

import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST routes against a real node over HTTP/1.1 and HTTP/2: exact values, idempotency, any
 * UTF-8 key, the JSON mapping of 64-bit values, and every error mapping that can be provoked
 * here, each compared with what the gRPC port answers for the same request.
 */
class HttpRestTest {
  @TempDir
  static Path dir;
  static TallyNode node;
  static ManagedChannel channel;
  static CounterServiceGrpc.CounterServiceBlockingStub grpc;
  static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dir, "http-port", Integer.toString(TestNodes.freePort()), "max-client-message-bytes", "65536",
        "metrics-port", Integer.toString(TestNodes.freePort()), "http-cors-origins", "https://app.example.com");
    channel = TestNodes.channel(node);
    grpc = TestNodes.blocking(channel);
    http = HttpTestClient.plain(node.httpPort());
  }

  @AfterAll
  static void stop() {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  static long grpcValue(String key) {
    return grpc.get(GetRequest.newBuilder().setKey(key).build()).getValue();
  }

  @Test
  void incrementDecrementGet_exactValues() {
    HttpTestClient.Reply r = http.post("/v1/counters/likes:increment", "{\"amount\": 5}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("key").asText()).isEqualTo("likes");
    assertThat(r.json().get("value").isNumber()).isTrue();
    assertThat(r.json().get("value").asLong()).isEqualTo(5);
    assertThat(r.json().get("updated_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    assertThat(r.header("tally-node")).isEqualTo("test-node");
    assertThat(http.post("/v1/counters/likes:increment", null).json().get("value").asLong()).isEqualTo(6);
    assertThat(http.post("/v1/counters/likes:decrement", "{\"amount\": \"2\"}").json().get("value").asLong()).isEqualTo(4);
    HttpTestClient.Reply got = http.get("/v1/counters/likes");
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.json().get("value").asLong()).isEqualTo(4);
    assertThat(grpcValue("likes")).isEqualTo(4);

    HttpTestClient.Reply never = http.get("/v1/counters/never-written");
    assertThat(never.json().get("value").asLong()).isZero();
    assertThat(never.json().has("updated_at")).isFalse();
    assertThat(http.get("/v1/counters/likes?consistency=QUORUM").json().get("value").asLong()).isEqualTo(4);
  }

  @Test
  void requestId_appliesOnce() {
    String body = "{\"amount\": 3, \"request_id\": \"req-1\", \"consistency\": \"LOCAL\"}";
    assertThat(http.post("/v1/counters/idem:increment", body).json().get("value").asLong()).isEqualTo(3);
    assertThat(http.post("/v1/counters/idem:increment", body).json().get("value").asLong()).isEqualTo(3);
    assertThat(grpcValue("idem")).isEqualTo(3);
  }

  @Test
  void batchGet_andBatchIncrement() {
    HttpTestClient.Reply inc = http.post("/v1/counters:batchIncrement",
        "{\"items\": [{\"key\": \"b1\", \"amount\": 2}, {\"key\": \"b2\", \"amount\": -7}, {\"key\": \"b1\"}], \"request_id\": \"batch-1\"}");
    assertThat(inc.status()).isEqualTo(200);
    assertThat(values(inc.json())).containsExactly(3L, -7L, 3L);
    assertThat(values(http.post("/v1/counters:batchIncrement",
        "{\"items\": [{\"key\": \"b1\", \"amount\": 2}, {\"key\": \"b2\", \"amount\": -7}, {\"key\": \"b1\"}], \"request_id\": \"batch-1\"}")
        .json())).as("same request id: nothing applied again").containsExactly(3L, -7L, 3L);
    HttpTestClient.Reply get = http.post("/v1/counters:batchGet", "{\"keys\": [\"b2\", \"b1\", \"nothing\"]}");
    assertThat(get.status()).isEqualTo(200);
    assertThat(values(get.json())).containsExactly(-7L, 3L, 0L);
    assertThat(get.json().get("values").get(0).get("key").asText()).isEqualTo("b2");
  }

  static List<Long> values(JsonNode response) {
    List<Long> out = new java.util.ArrayList<>();
    response.get("values").forEach(v -> out.add(v.get("value").asLong()));
    return out;
  }

  @Test
  void anyUtf8Key_isOneCounter() {
    for (String key : List.of("with space", "a/b/c", "ns:key:increment", "👍 like", "100%", "comma,key", "q?x=1&y", "+plus")) {
      HttpTestClient.Reply r = http.post("/v1/counters/" + path(key) + ":increment", "{\"amount\": 2}");
      assertThat(r.status()).as(key).isEqualTo(200);
      assertThat(r.json().get("key").asText()).isEqualTo(key);
      assertThat(grpcValue(key)).as(key).isEqualTo(2);
      assertThat(http.get("/v1/counters/" + path(key)).json().get("value").asLong()).as(key).isEqualTo(2);
    }
    // ':' left unencoded in the key still works when the verb is last
    assertThat(http.post("/v1/counters/raw:colon:increment", null).json().get("key").asText()).isEqualTo("raw:colon");
  }

  @Test
  void valuesBeyond2To53_areStrings_andBothFormsAreAccepted() {
    long safe = (1L << 53) - 1;
    HttpTestClient.Reply r = http.post("/v1/counters/big:increment", "{\"amount\": " + safe + "}");
    assertThat(r.json().get("value").isNumber()).isTrue();
    assertThat(r.json().get("value").asLong()).isEqualTo(safe);
    HttpTestClient.Reply over = http.post("/v1/counters/big:increment", "{\"amount\": \"2\"}");
    assertThat(over.json().get("value").isTextual()).isTrue();
    assertThat(over.json().get("value").asText()).isEqualTo(Long.toString(safe + 2));
    assertThat(grpcValue("big")).isEqualTo(safe + 2);
    HttpTestClient.Reply neg = http.post("/v1/counters/bigneg:decrement", "{\"amount\": \"9007199254740993\"}");
    assertThat(neg.json().get("value").asText()).isEqualTo("-9007199254740993");
  }

  @Test
  void badKey_isTheGrpcError() {
    String longKey = "k".repeat(4097);
    StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(
        () -> grpc.increment(IncrementRequest.newBuilder().setKey(longKey).build()), StatusRuntimeException.class);
    HttpTestClient.Reply r = http.post("/v1/counters/" + longKey + ":increment", null);
    assertError(r, 400, "INVALID_ARGUMENT");
    assertThat(r.json().get("message").asText()).isEqualTo(e.getStatus().getDescription());
    HttpTestClient.Reply empty = http.post("/v1/counters/:increment", null);
    assertError(empty, 400, "INVALID_ARGUMENT");
    assertThat(empty.json().get("message").asText()).contains("key");
  }

  @Test
  void badAmount_unknownField_badJson_badEnum() {
    assertError(http.post("/v1/counters/x:increment", "{\"amount\": 0}"), 400, "INVALID_ARGUMENT");
    assertThat(http.post("/v1/counters/x:increment", "{\"amount\": 0}").json().get("message").asText()).contains("amount");
    HttpTestClient.Reply unknown = http.post("/v1/counters/x:increment", "{\"amonut\": 3}");
    assertError(unknown, 400, "INVALID_ARGUMENT");
    assertThat(unknown.json().get("message").asText()).contains("'amonut'");
    assertError(http.post("/v1/counters/x:increment", "{\"amount\": 3"), 400, "INVALID_ARGUMENT");
    assertError(http.post("/v1/counters/x:increment", "[1]"), 400, "INVALID_ARGUMENT");
    assertError(http.post("/v1/counters/x:increment", "{\"amount\": 1.5}"), 400, "INVALID_ARGUMENT");
    assertError(http.post("/v1/counters/x:increment", "{\"consistency\": \"ALL\"}"), 400, "INVALID_ARGUMENT");
    assertError(http.get("/v1/counters/x?bogus=1"), 400, "INVALID_ARGUMENT");
    assertError(http.post("/v1/counters/x:increment", "{\"key\": \"other\"}"), 400, "INVALID_ARGUMENT");
    assertThat(grpcValue("x")).as("nothing applied").isZero();
    assertThat(http.send(http.request("/v1/counters/x:increment").header("Content-Type", "text/plain")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build()).status()).isEqualTo(415);
  }

  @Test
  void malformedPercentEncoding_andInvalidUtf8_are400_andChangeNothing() throws IOException {
    // java.net.URI refuses these, so they go on a raw socket.
    assertThat(rawRequest("POST /v1/counters/bad%zzkey:increment HTTP/1.1")).startsWith("HTTP/1.1 400")
        .contains("INVALID_ARGUMENT").contains("percent-encoding");
    assertThat(rawRequest("POST /v1/counters/bad%:increment HTTP/1.1")).startsWith("HTTP/1.1 400");
    HttpTestClient.Reply utf8 = http.post("/v1/counters/bad%FFkey:increment", null);
    assertError(utf8, 400, "INVALID_ARGUMENT");
    assertThat(utf8.json().get("message").asText()).contains("UTF-8");
    assertThat(grpcValue("bad")).isZero();
    // Raw non-ASCII bytes on the request line (not legal, some clients send them): decoded as UTF-8 or refused.
    assertThat(rawRequest("POST /v1/counters/caf\u00c3\u00a9:increment HTTP/1.1")).startsWith("HTTP/1.1 200");
    assertThat(grpcValue("café")).isEqualTo(1);
    assertThat(rawRequest("POST /v1/counters/bad\u00ff:increment HTTP/1.1")).startsWith("HTTP/1.1 400");
  }

  private static String rawRequest(String line) throws IOException {
    try (Socket s = new Socket("127.0.0.1", node.httpPort())) {
      s.getOutputStream().write((line + "\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void unknownRoute_404_wrongMethod_405WithAllow() {
    assertError(http.get("/v1/nothing"), 404, "NOT_FOUND");
    assertError(http.get("/"), 404, "NOT_FOUND");
    // Not a verb of the path, so ':explode' is part of the key {key} of GET /v1/counters/{key}, as in grpc-gateway.
    HttpTestClient.Reply typo = http.post("/v1/counters/x:explode", null);
    assertThat(typo.status()).isEqualTo(405);
    assertThat(typo.json().get("message").asText()).contains("':explode' was meant as a verb");
    assertError(http.post("/v1/countres/x:increment", null), 404, "NOT_FOUND");
    HttpTestClient.Reply wrong = http.post("/v1/counters/x", null);
    assertThat(wrong.status()).isEqualTo(405);
    assertThat(wrong.header("allow")).isEqualTo("GET, OPTIONS");
    HttpTestClient.Reply getIncrement = http.method("DELETE", "/v1/counters:batchGet");
    assertThat(getIncrement.status()).isEqualTo(405);
    assertThat(getIncrement.header("allow")).isEqualTo("POST, OPTIONS");
  }

  @Test
  void bodyOverMaxClientMessageBytes_is413_andNothingApplied() {
    String body = "{\"amount\": 1, \"request_id\": \"" + "r".repeat(70_000) + "\"}";
    HttpTestClient.Reply r = http.post("/v1/counters/huge:increment", body);
    assertError(r, 413, "RESOURCE_EXHAUSTED");
    assertThat(r.json().get("message").asText()).contains("65536");
    assertThat(grpcValue("huge")).isZero();
  }

  @Test
  void overflow_isOutOfRange400() {
    assertThat(http.post("/v1/counters/of:increment", "{\"amount\": \"" + Long.MAX_VALUE + "\"}").status()).isEqualTo(200);
    HttpTestClient.Reply r = http.post("/v1/counters/of:increment", "{\"amount\": 1}");
    assertError(r, 400, "OUT_OF_RANGE");
    assertThat(grpcValue("of")).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void clusterStatus_isServed() {
    HttpTestClient.Reply r = http.get("/v1/cluster:status");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("node").asText()).isEqualTo("test-node");
    assertThat(r.json().get("members").get(0).get("state").asText()).isEqualTo("STATE_ALIVE");
  }

  @Test
  void http2_priorKnowledgeOrUpgrade_servesTheSameRoutes() {
    HttpTestClient h2 = new HttpTestClient(HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build(),
        "http://127.0.0.1:" + node.httpPort());
    HttpTestClient.Reply first = h2.get("/v1/counters/h2");
    assertThat(first.status()).isEqualTo(200);
    HttpTestClient.Reply r = h2.post("/v1/counters/h2:increment", "{\"amount\": 4}");
    assertThat(r.raw().version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(r.json().get("value").asLong()).isEqualTo(4);
    assertError(h2.post("/v1/counters/h2:increment", "{\"amount\": -1}"), 400, "INVALID_ARGUMENT");
    assertError(h2.get("/v1/none"), 404, "NOT_FOUND");
    assertThat(h2.get("/v1/counters/h2").json().get("value").asLong()).isEqualTo(4);
  }

  @Test
  void cors_preflightAndHeaders_onlyForAllowedOrigins() {
    HttpTestClient.Reply pre = http.method("OPTIONS", "/v1/counters/x:increment", "Origin", "https://app.example.com",
        "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, authorization");
    assertThat(pre.status()).isEqualTo(204);
    assertThat(pre.header("access-control-allow-origin")).isEqualTo("https://app.example.com");
    assertThat(pre.header("access-control-allow-methods")).contains("POST");
    assertThat(pre.header("access-control-allow-headers")).contains("authorization").contains("content-type");
    HttpTestClient.Reply refused = http.method("OPTIONS", "/v1/counters/x:increment", "Origin", "https://evil.example",
        "Access-Control-Request-Method", "POST");
    assertThat(refused.header("access-control-allow-origin")).isNull();
    HttpTestClient.Reply get = http.get("/v1/counters/x", "Origin", "https://app.example.com");
    assertThat(get.header("access-control-allow-origin")).isEqualTo("https://app.example.com");
    assertThat(get.header("access-control-expose-headers")).contains("tally-node");
    assertThat(http.get("/v1/counters/x", "Origin", "https://evil.example").header("access-control-allow-origin")).isNull();
  }

  @Test
  void console_servesClasspathFiles_only() {
    HttpTestClient.Reply index = http.get("/console");
    assertThat(index.status()).isEqualTo(200);
    assertThat(index.header("content-type")).isEqualTo("text/html; charset=utf-8");
    assertThat(index.raw().body()).contains("Tally console");
    assertThat(http.get("/console/index.html").status()).isEqualTo(200);
    assertThat(http.get("/console/").status()).isEqualTo(200);
    for (String bad : List.of("/console/missing.js", "/console/../logback.xml", "/console/%2e%2e/logback.xml",
        "/console/..%2flogback.xml", "/console/%2E%2E%2Fdev/tally/node/TallyNode.class", "/console/index.html%00")) {
      assertThat(http.get(bad).status()).as(bad).isEqualTo(404);
    }
    assertThat(http.post("/console", "{}").status()).isEqualTo(405);
  }

  @Test
  void metrics_countRequestsByRouteTemplate() throws Exception {
    http.post("/v1/counters/metric-key-1:increment", null);
    http.post("/v1/counters/metric-key-2:increment", null);
    http.get("/v1/not/a/route");
    HttpClient c = HttpClient.newHttpClient();
    String text = c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.metricsPort()
        + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertThat(text).containsPattern("tally_http_requests_total\\{[^}]*method=\"POST\"[^}]*route=\"/v1/counters/\\{key\\}:increment\"[^}]*status=\"200\"");
    assertThat(text).contains("route=\"unmatched\"");
    assertThat(text).doesNotContain("metric-key-1").doesNotContain("/v1/not/a/route");
    assertThat(text).contains("tally_http_request_duration_seconds");
  }

  static void assertError(HttpTestClient.Reply r, int status, String code) {
    assertThat(r.status()).as(r.raw().body()).isEqualTo(status);
    assertThat(r.header("content-type")).startsWith("application/json");
    assertThat(r.json().get("code").asText()).isEqualTo(code);
    assertThat(r.json().get("message").asText()).isNotBlank();
  }

}
