package dev.tally.node.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTableTest {
  @TempDir
  Path dir;

  private static String result(String workload, double calls, double items, double load) {
    return "{\"workload\":\"" + workload + "\",\"callsPerSecond\":" + calls + ",\"itemsPerSecond\":" + items
        + ",\"latencyMs\":{\"p50\":0.5,\"p99\":1.25,\"p999\":12.5},\"errorCount\":0,\"loadAverageStart\":" + load + "}";
  }

  @Test
  void markdown_showsAbsoluteFiguresRatiosAndTheMachine() throws Exception {
    Files.writeString(dir.resolve("plan.txt"), String.join("\n",
        "row|incr-64|incr, 64 in flight|--workload incr --concurrency 64",
        "row|batch-100|batch of 100|--workload batch --batch-size 100",
        "col|redis-always|Redis, appendfsync always",
        "col|tally-sync|Tally node, sync",
        "ratio|tally-sync|redis-always|Tally sync / Redis always", ""));
    Files.writeString(dir.resolve("machine.txt"), "cores: 2\ncpu: AMD EPYC\nduration: 10s\nwarmup: 5s\n");
    Files.writeString(dir.resolve("incr-64__redis-always.json"), result("incr", 40_000, 40_000, 1.5));
    Files.writeString(dir.resolve("incr-64__tally-sync.json"), result("incr", 50_000, 50_000, 2.5));
    Files.writeString(dir.resolve("batch-100__tally-sync.json"), result("batch", 6_000, 600_000, 1.0));

    String md = ComparisonTable.read(dir).markdown();

    assertThat(md).contains("- **cpu**: AMD EPYC")
        .contains("| workload | Redis, appendfsync always | Tally node, sync | Tally sync / Redis always | load avg |")
        .contains("| incr, 64 in flight | 40,000/s<br>0.50 / 1.3 / 13 | 50,000/s<br>0.50 / 1.3 / 13 | **1.25x** | 1.5–2.5 |")
        .contains("| batch of 100 | — | 600,000/s<br>0.50 / 1.3 / 13 | — | 1.0–1.0 |")
        .contains("- incr, 64 in flight: `--workload incr --concurrency 64`")
        .startsWith(ComparisonTable.BEGIN);
  }

  @Test
  void markdown_showsTheReplicationDelayOfTheClusterWhenMeasured() throws Exception {
    Files.writeString(dir.resolve("plan.txt"), String.join("\n",
        "row|incr-64|incr, 64 in flight|--workload incr",
        "col|tally-cluster|Tally 3 nodes, sync",
        "lag|tally-cluster|3 nodes, incr at half (20000/s)|--rate 10000", ""));
    Files.writeString(dir.resolve("lag__tally-cluster.json"), "{\"workload\":\"incr\",\"rate\":10000,"
        + "\"callsPerSecond\":9990.5,\"loadAverageStart\":3.25,\"replicationDelayMs\":{\"p50\":31.5,\"p90\":60,"
        + "\"p99\":95.25,\"p999\":150,\"acknowledgedKeys\":123456,\"nodes\":3}}");

    String md = ComparisonTable.read(dir).markdown();

    assertThat(md).contains("### Replication delay")
        .contains("| 3 nodes, incr at half (20000/s) | 10,000/s | 9,991/s | 32 ms | 60 ms | **95 ms** | 150 ms | 123,456 | 3.3 |")
        .contains("- replication delay, 3 nodes, incr at half (20000/s): `--rate 10000`");
  }

  @Test
  void splice_replacesOnlyTheGeneratedSection() {
    String section = ComparisonTable.BEGIN + "\nnew table\n" + ComparisonTable.END + "\n";
    String doc = "# Benchmarks\n\nintro\n\n" + ComparisonTable.BEGIN + "\nold table\n" + ComparisonTable.END + "\n\n## Analysis\n";

    String out = ComparisonTable.splice(doc, section);

    assertThat(out).isEqualTo("# Benchmarks\n\nintro\n\n" + ComparisonTable.BEGIN + "\nnew table\n" + ComparisonTable.END
        + "\n\n## Analysis\n");
    assertThat(ComparisonTable.splice("# Benchmarks\n", section)).isEqualTo("# Benchmarks\n\n" + section);
  }
}
