package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.node.TallyNode;
import dev.tally.node.auth.AuthInterceptor;
import dev.tally.node.auth.Role;
import dev.tally.node.auth.Tokens;
import dev.tally.node.testing.TestNodes;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** auth-tokens over HTTP: the Authorization header is forwarded, 401/403 as on gRPC, access_token for EventSource only. */
class HttpAuthTest {
  static final String READER = Tokens.create();
  static final String WRITER = Tokens.create();
  static final String LIKES = Tokens.create();
  @TempDir
  static Path dir;
  static TallyNode node;
  static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    Path tokens = dir.resolve("tokens.yaml");
    Files.writeString(tokens, Tokens.entry("reader", READER, EnumSet.of(Role.READ), List.of())
        + Tokens.entry("writer", WRITER, EnumSet.of(Role.READ, Role.WRITE), List.of())
        + Tokens.entry("likes", LIKES, EnumSet.of(Role.READ, Role.WRITE), List.of("likes:")));
    node = TestNodes.start(dir.resolve("data"), "http-port", Integer.toString(TestNodes.freePort()),
        "auth-tokens", tokens.toString());
    http = HttpTestClient.plain(node.httpPort());
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void missingOrBadToken_is401_withTheGrpcMessage() {
    HttpTestClient.Reply none = http.get("/v1/counters/a");
    HttpRestTest.assertError(none, 401, "UNAUTHENTICATED");
    assertThat(none.json().get("message").asText()).isEqualTo(AuthInterceptor.UNAUTHENTICATED);
    HttpRestTest.assertError(http.get("/v1/counters/a", "Authorization", "Bearer nope"), 401, "UNAUTHENTICATED");
  }

  @Test
  void roleAndPrefix_are403_andNothingIsApplied() {
    HttpRestTest.assertError(http.post("/v1/counters/a:increment", null, "Authorization", "Bearer " + READER), 403,
        "PERMISSION_DENIED");
    HttpRestTest.assertError(http.post("/v1/counters/other:increment", null, "Authorization", "Bearer " + LIKES), 403,
        "PERMISSION_DENIED");
    HttpRestTest.assertError(http.get("/v1/cluster:status", "Authorization", "Bearer " + WRITER), 403, "PERMISSION_DENIED");
    assertThat(http.get("/v1/counters/a", "Authorization", "Bearer " + READER).json().get("value").asLong()).isZero();
    assertThat(http.post("/v1/counters/likes:x:increment", null, "Authorization", "Bearer " + LIKES).status()).isEqualTo(200);
    assertThat(http.post("/v1/counters/a:increment", "{\"amount\": 4}", "Authorization", "Bearer " + WRITER)
        .json().get("value").asLong()).isEqualTo(4);
  }

  @Test
  void accessTokenParameter_worksOnTheWatchRouteOnly() throws Exception {
    try (SseStream s = SseStream.open(HttpClient.newHttpClient(),
        http.base() + "/v1/counters:watch?keys=likes:w&access_token=" + READER)) {
      assertThat(s.response.statusCode()).isEqualTo(200);
      assertThat(s.nextData("value", Duration.ofSeconds(10))).contains("likes:w");
    }
    HttpRestTest.assertError(http.get("/v1/counters:watch?keys=w&access_token=nope"), 401, "UNAUTHENTICATED");
    HttpTestClient.Reply elsewhere = http.get("/v1/counters/a?access_token=" + READER);
    HttpRestTest.assertError(elsewhere, 400, "INVALID_ARGUMENT");
    assertThat(elsewhere.json().get("message").asText()).doesNotContain(READER);
  }
}
