package dev.tally.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.api.v1.CounterServiceGrpc.CounterServiceBlockingStub;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsEndpointTest {

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metrics_afterTraffic_exposeRpcWriteDedupeAndStorageFigures() throws Exception {
    try (TallyNode node = TestNodes.start(dir, "metrics-port", Integer.toString(TestNodes.freePort()))) {
      ManagedChannel channel = TestNodes.channel(node);
      try {
        CounterServiceBlockingStub stub = TestNodes.blocking(channel);
        stub.increment(IncrementRequest.newBuilder().setKey("m").setRequestId("r").build());
        stub.increment(IncrementRequest.newBuilder().setKey("m").setRequestId("r").build());
        stub.get(GetRequest.newBuilder().setKey("m").build());
        assertThatThrownBy(() -> stub.get(GetRequest.newBuilder().setKey("").build()))
            .isInstanceOf(StatusRuntimeException.class);
      } finally {
        TestNodes.shutdown(channel);
      }

      HttpResponse<String> metrics = get(node.metricsPort(), "/metrics");

      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
      String body = metrics.body();
      assertThat(body).containsPattern(
          "tally_grpc_server_calls_seconds_count\\{code=\"OK\",dc=\"dc1\",method=\"tally.v1.CounterService/Increment\",node=\"test-node\"} 2");
      assertThat(body).containsPattern(
          "tally_grpc_server_calls_seconds_count\\{code=\"INVALID_ARGUMENT\",[^}]*method=\"tally.v1.CounterService/Get\"[^}]*} 1");
      assertThat(body).containsPattern("tally_grpc_server_calls_seconds_bucket\\{code=\"OK\",[^}]*Increment[^}]*le=\"");
      assertThat(body).containsPattern("tally_write_group_size_count\\{[^}]*} 1");
      assertThat(body).containsPattern("tally_wal_sync_seconds_count\\{[^}]*} 1");
      assertThat(body).containsPattern("tally_dedupe_hits_total\\{[^}]*} 1");
      assertThat(body).containsPattern("tally_writes_pending\\{[^}]*} 0");
      assertThat(body).contains("tally_rocksdb_live_data_size_bytes", "tally_rocksdb_estimated_keys",
          "tally_watch_streams", "tally_writes_shed_total", "jvm_memory_used_bytes");

      HttpResponse<String> health = get(node.metricsPort(), "/health");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("SERVING\n");
      assertThat(get(node.metricsPort(), "/nope").statusCode()).isEqualTo(404);
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.metricsPort() + "/metrics"))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
    }
  }

  @Test
  void health_notServing_is503() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (MetricsHttpServer server = MetricsHttpServer.start("127.0.0.1", 0, registry,
        () -> java.util.Optional.of("the data disk is full"))) {
      HttpResponse<String> health = get(server.port(), "/health");

      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(health.body()).isEqualTo("NOT_SERVING: the data disk is full\n");
    }
  }

  @Test
  void metricsPortZero_disablesTheEndpoint() {
    try (TallyNode node = TestNodes.start(dir)) {
      assertThat(node.metricsPort()).isEqualTo(-1);
    }
  }
}
