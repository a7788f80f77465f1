package dev.tally.node.bench;

import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.GetRequest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.node.TallyNode;
import dev.tally.node.cli.TallyCommand;
import dev.tally.node.config.HostPort;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tally bench} against a real node on loopback: the numbers it reports are not checked (they
 * belong to benchmarks), but what the node counted must match what the generator saw succeed,
 * exactly, and the command's output and exit codes must be right.
 */
class BenchAgainstNodeTest {
  @TempDir
  Path dir;

  private TallyNode node;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    node = TestNodes.start(dir.resolve("data"));
    channel = TestNodes.channel(node);
  }

  @AfterEach
  void stop() {
    TestNodes.shutdown(channel);
    node.close();
  }

  private long value(String key) {
    return TestNodes.blocking(channel).get(GetRequest.newBuilder().setKey(key).build()).getValue();
  }

  private LoadGenerator generator(LoadTarget target, Workload workload, KeyDistribution distribution, int keys) {
    return new LoadGenerator(target, new LoadSettings(workload, distribution, keys, "t:", 16, 0, Duration.ofMillis(300),
        Duration.ofMillis(700), 10, 1, 1, 7L, Duration.ofSeconds(10), workload == Workload.GET), null);
  }

  private TallyTarget target(boolean requestIds) {
    return new TallyTarget(List.of(new HostPort("127.0.0.1", node.clientPort())), 2, Consistency.CONSISTENCY_LOCAL,
        requestIds, List.of(), TimeUnit.SECONDS.toNanos(10), 7L, TallyTarget.Security.PLAINTEXT);
  }

  @Test
  void hotKeyIncrements_theNodeCountsExactlyTheCallsThatSucceeded() throws Exception {
    try (TallyTarget target = target(false)) {
      LoadGenerator generator = generator(target, Workload.INCR, KeyDistribution.HOT, 1);
      BenchResult result = generator.run();

      assertThat(result.errors()).isEmpty();
      assertThat(result.calls()).isPositive();
      assertThat(value("t:0")).isEqualTo(generator.succeeded(Operation.INCR));
    }
  }

  @Test
  void batchesWithRequestIds_theNodeCountsEveryItemOfEverySuccessfulBatch() throws Exception {
    try (TallyTarget target = target(true)) {
      LoadGenerator generator = generator(target, Workload.BATCH, KeyDistribution.UNIFORM, 20);
      BenchResult result = generator.run();

      assertThat(result.errors()).isEmpty();
      long total = 0;
      for (int i = 0; i < 20; i++) {
        total += value("t:" + i);
      }
      assertThat(total).isEqualTo(generator.succeeded(Operation.BATCH) * 10);
      assertThat(result.itemsPerSecond()).isEqualTo(result.callsPerSecond() * 10, org.assertj.core.data.Offset.offset(1e-6));
    }
  }

  @Test
  void gets_findThePrefilledValues() throws Exception {
    try (TallyTarget target = target(false)) {
      BenchResult result = generator(target, Workload.GET, KeyDistribution.UNIFORM, 50).run();

      assertThat(result.errors()).isEmpty();
      assertThat(result.calls()).isPositive();
      for (int i = 0; i < 50; i++) {
        assertThat(value("t:" + i)).as("prefilled once").isEqualTo(1);
      }
    }
  }

  private record Run(int exit, String out, String err) {}

  private static Run bench(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = TallyCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    String[] all = new String[args.length + 1];
    all[0] = "bench";
    System.arraycopy(args, 0, all, 1, args.length);
    int exit = cl.execute(all);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void command_json_printsOneObjectWithTheFiguresAndProgressOnStderr() throws Exception {
    Run run = bench("--target", "127.0.0.1:" + node.clientPort(), "--workload", "mixed", "--ratio", "4:1",
        "--keys", "100", "--duration", "2s", "--warmup", "0s", "--json", "--seed", "3");

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(run.out().strip());
    assertThat(json.get("workload").textValue()).isEqualTo("mixed");
    assertThat(json.get("ratio").textValue()).isEqualTo("4:1");
    assertThat(json.get("seed").isIntegralNumber()).isTrue();
    assertThat(json.get("seed").longValue()).isEqualTo(3);
    assertThat(json.get("errorCount").isIntegralNumber()).isTrue();
    assertThat(json.get("errorCount").longValue()).isZero();
    assertThat(json.get("callsPerSecond").isNumber()).isTrue();
    assertThat(json.get("latencyMs").get("p99").isNumber()).isTrue();
    assertThat(json.get("loadAverageStart").isNumber()).isTrue();
    assertThat(json.get("operations").fieldNames()).toIterable().containsExactly("get", "incr");
    assertThat(run.err()).contains("calls/s").contains("p99");
  }

  @Test
  void command_humanReport_namesThroughputLatencyAndErrors() {
    Run run = bench("--target", "127.0.0.1:" + node.clientPort(), "--workload", "incr", "--duration", "1s",
        "--warmup", "0s", "--quiet");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("throughput").contains("p99.9").contains("errors        none");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void command_unreachableTarget_exitsOneWithTheStatus() {
    Run run = bench("--target", "127.0.0.1:" + TestNodes.freePort(), "--duration", "1s", "--timeout", "2s", "--quiet");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("cannot reach").contains("UNAVAILABLE");
  }

  @Test
  void command_badOptions_exitTwoNamingTheOption() {
    assertThat(bench("--workload", "nope").err()).contains("--workload must be one of incr, get, mixed, batch");
    assertThat(bench("--workload", "nope").exit()).isEqualTo(2);
    assertThat(bench("--ratio", "ten").err()).contains("--ratio");
    assertThat(bench("--redis", "127.0.0.1:6379", "--target", "127.0.0.1:7400").err()).contains("either --target");
    assertThat(bench("--redis", "127.0.0.1:6379", "--request-ids").err()).contains("Tally only");
    assertThat(bench("--duration", "ten").err()).contains("--duration");
    assertThat(bench("--target", "nohost").err()).contains("--target");
    assertThat(bench("--batch-size", "5000").err()).contains("--batch-size must be 1..1000");
  }
}
