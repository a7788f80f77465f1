package dev.tally.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics endpoint binds metrics-host, not host (both stay on 127.0.0.0/8 here). */
class MetricsHostTest {
  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(String host, int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metricsHost_isTheOnlyAddressServed() throws Exception {
    try (TallyNode node = TestNodes.start(dir, "metrics-port", Integer.toString(TestNodes.freePort()),
        "metrics-host", "127.0.0.2")) {
      assertThat(get("127.0.0.2", node.metricsPort(), "/health").statusCode()).isEqualTo(200);
      assertThat(get("127.0.0.2", node.metricsPort(), "/metrics").statusCode()).isEqualTo(200);
      // host (127.0.0.1) serves gRPC, not metrics.
      assertThatThrownBy(() -> get("127.0.0.1", node.metricsPort(), "/metrics")).isInstanceOf(IOException.class);
    }
  }
}
