package dev.tally.node.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@code tally bench --json}: the field names and JSON types scripts and bin/bench-compare rely on. */
class BenchResultJsonTest {

  private static BenchResult result(double clientCpuMicrosPerCall) {
    LoadSettings settings = new LoadSettings(Workload.MIXED, KeyDistribution.ZIPFIAN, 100, "k", 8, 0,
        Duration.ofMillis(1500), Duration.ofSeconds(2), 10, 4, 1, Long.MAX_VALUE, Duration.ofSeconds(5), false);
    LatencySummary latency = new LatencySummary(30, 0.25, 0.5, 1.5, 2.0, 3.0, 0.4);
    return new BenchResult("127.0.0.1:7400", "tally", settings, 2.0, 30, latency,
        Map.of(Operation.GET, new OperationResult(Operation.GET, 24, 12.0, latency),
            Operation.INCR, new OperationResult(Operation.INCR, 6, 3.0, latency)),
        new TreeMap<>(Map.of("UNAVAILABLE", 2L)), 0, 1.25, -1, 2, clientCpuMicrosPerCall, null);
  }

  @Test
  void toJson_countsAreWholeNumbersAndNamesAreStable() throws Exception {
    JsonNode json = new ObjectMapper().readTree(result(12.5).toJson());

    assertThat(json.fieldNames()).toIterable().containsExactly("target", "targetKind", "workload", "distribution",
        "keys", "concurrency", "rate", "loop", "batchSize", "ratio", "warmupSeconds", "seconds", "seed", "calls",
        "callsPerSecond", "itemsPerSecond", "latencyMs", "operations", "errors", "errorCount", "notSent",
        "loadAverageStart", "loadAverageEnd", "cores", "clientCpuMicrosPerCall");
    assertThat(json.get("seed").isIntegralNumber()).isTrue();
    assertThat(json.get("seed").longValue()).isEqualTo(Long.MAX_VALUE); // exact, not rounded through a double
    assertThat(json.get("calls").longValue()).isEqualTo(30);
    assertThat(json.get("callsPerSecond").doubleValue()).isEqualTo(15.0);
    assertThat(json.get("warmupSeconds").doubleValue()).isEqualTo(1.5);
    assertThat(json.get("ratio").textValue()).isEqualTo("4:1");
    assertThat(json.get("loop").textValue()).isEqualTo("closed");
    assertThat(json.get("errors").get("UNAVAILABLE").longValue()).isEqualTo(2);
    assertThat(json.get("errorCount").longValue()).isEqualTo(2);
    assertThat(json.get("operations").fieldNames()).toIterable().containsExactly("get", "incr");
    assertThat(json.get("operations").get("get").get("latencyMs").get("p99").doubleValue()).isEqualTo(1.5);
    assertThat(json.get("latencyMs").get("count").isIntegralNumber()).isTrue();
    assertThat(json.has("replicationDelayMs")).isFalse();
  }

  @Test
  void toJson_nonFiniteFiguresAreNull() throws Exception {
    JsonNode json = new ObjectMapper().readTree(result(Double.NaN).toJson());

    assertThat(json.get("clientCpuMicrosPerCall").isNull()).isTrue();
  }

  @Test
  void toJson_replicationDelayWhenMeasured() throws Exception {
    BenchResult withDelay = result(1).withReplicationDelay(new ReplicationDelay.Summary(123456, 31.5, 60, 95.25, 150, 3));

    JsonNode d = new ObjectMapper().readTree(withDelay.toJson()).get("replicationDelayMs");

    assertThat(d.get("p99").doubleValue()).isEqualTo(95.25);
    assertThat(d.get("acknowledgedKeys").longValue()).isEqualTo(123456);
    assertThat(d.get("nodes").intValue()).isEqualTo(3);
  }
}
