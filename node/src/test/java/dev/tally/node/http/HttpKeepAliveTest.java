package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keep-alive connections stay usable: one pooled HTTP/1.1 client (as real clients are) sends many
 * requests of every kind in a random order (errors 400/404/405/413/415, POSTs with and without a
 * body, GETs, batch calls, an SSE stream cancelled by the client), and every request gets its own
 * answer. A server that closes a kept-alive connection behind the client's back makes the next
 * request on it fail with "header parser received no bytes".
 */
class HttpKeepAliveTest {
  private static final int REQUESTS = 1500;

  @TempDir
  static Path dir;
  static TallyNode node;
  static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dir, "http-port", Integer.toString(TestNodes.freePort()), "max-client-message-bytes", "65536",
        "http-sse-heartbeat", "200ms");
    http = HttpTestClient.plain(node.httpPort());
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** One kind of request and the status it must get. */
  record Kind(String name, int status, Sender sender) {}

  interface Sender {
    HttpTestClient.Reply send() throws Exception;
  }

  @Test
  void everyRequestOnPooledConnections_getsItsAnswer() throws Exception {
    long increments = 0;
    List<Kind> kinds = List.of(
        new Kind("404 GET", 404, () -> http.get("/v1/nothing")),
        new Kind("404 GET /", 404, () -> http.get("/")),
        new Kind("404 POST empty", 404, () -> http.post("/v1/countres/x:increment", null)),
        new Kind("405 POST empty", 405, () -> http.post("/v1/counters/x", null)),
        new Kind("405 verb typo", 405, () -> http.post("/v1/counters/x:explode", null)),
        new Kind("405 DELETE", 405, () -> http.method("DELETE", "/v1/counters:batchGet")),
        new Kind("400 bad JSON", 400, () -> http.post("/v1/counters/x:increment", "{\"amount\": 3")),
        new Kind("400 bad query", 400, () -> http.get("/v1/counters/x?bogus=1")),
        new Kind("415", 415, () -> http.send(http.request("/v1/counters/x:increment").header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build())),
        new Kind("413", 413, () -> http.post("/v1/counters/x:increment", "{\"amount\": 1, \"request_id\": \""
            + "r".repeat(70_000) + "\"}")),
        new Kind("200 POST empty", 200, () -> http.post("/v1/counters/ka:increment", null)),
        new Kind("200 GET", 200, () -> http.get("/v1/counters/ka")),
        new Kind("200 GET QUORUM", 200, () -> http.get("/v1/counters/ka?consistency=QUORUM")),
        new Kind("200 batchGet", 200, () -> http.post("/v1/counters:batchGet", "{\"keys\": [\"ka\", \"nothing\"]}")),
        new Kind("200 status", 200, () -> http.get("/v1/cluster:status")),
        new Kind("200 openapi", 200, () -> http.get(OpenApi.PATH)),
        new Kind("204 OPTIONS", 204, () -> http.method("OPTIONS", "/v1/counters/x:increment")),
        new Kind("SSE cancelled", 200, () -> {
          try (SseStream s = SseStream.open(http.client(), http.base() + "/v1/counters:watch?keys=ka")) {
            assertThat(s.nextData("value", Duration.ofSeconds(10))).contains("\"ka\"");
            return new HttpTestClient.Reply(s.response.statusCode(), null, null);
          }
        }));
    long seed = System.nanoTime();
    System.out.println("HttpKeepAliveTest seed " + seed);
    Random random = new Random(seed);
    List<String> failures = new ArrayList<>();
    String previous = "none";
    for (int i = 0; i < REQUESTS; i++) {
      Kind k = kinds.get(random.nextInt(kinds.size()));
      try {
        HttpTestClient.Reply r = k.sender().send();
        if (r.status() != k.status()) {
          failures.add("#" + i + " " + k.name() + " (after " + previous + "): status " + r.status());
        }
        if (k.name().equals("200 POST empty")) {
          increments++;
          assertThat(r.json().get("value").asLong()).as("#" + i).isEqualTo(increments);
        }
      } catch (RuntimeException e) {
        failures.add("#" + i + " " + k.name() + " (after " + previous + "): " + e);
      }
      previous = k.name();
    }
    assertThat(failures).as("seed " + seed).isEmpty();
  }
}
