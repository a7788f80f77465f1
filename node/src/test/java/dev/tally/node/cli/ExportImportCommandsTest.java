package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tally export} from one single node and {@code tally import jsonl} into another (two
 * separate clusters): exact values at the edges of int64, keys of any UTF-8, and a second import
 * that writes nothing.
 */
class ExportImportCommandsTest {
  @TempDir
  static Path dir;

  static TallyNode source;
  static TallyNode dest;
  static ManagedChannel sourceChannel;
  static ManagedChannel destChannel;
  /** Counter states the destination's store wrote (every write: local groups and merges). */
  static final AtomicLong destWrites = new AtomicLong();
  static final Map<String, Long> values = new LinkedHashMap<>();

  @BeforeAll
  static void start() {
    source = TestNodes.start(dir.resolve("a"), "cluster-id", "old");
    dest = TallyNode.start(TestNodes.config(dir.resolve("b"), "cluster-id", "new"), TallyNode.Options.defaults()
        .withStoreWriteHook(destWrites::addAndGet));
    sourceChannel = TestNodes.channel(source);
    destChannel = TestNodes.channel(dest);
    values.put("likes:plain", 42L);
    values.put("likes:negative", -17L);
    values.put("likes:zero", 0L);
    values.put("likes:2^53+1", (1L << 53) + 1);
    values.put("likes:max", Long.MAX_VALUE);
    values.put("likes:min", Long.MIN_VALUE);
    values.put("ключ:привет", 7L);
    values.put("emoji:😀🎉", 9L);
    values.put("quote\"back\\slash", 11L);
    values.put("tab\tnew\nline\u0001", 13L);
    values.put("日本語のキー", -2L);
    IncrementManyRequest.Builder b = IncrementManyRequest.newBuilder();
    values.forEach((k, v) -> {
      if (v == 0) {
        b.addItems(item(k, 5)).addItems(item(k, -5));
      } else if (v == Long.MIN_VALUE) {
        b.addItems(item(k, Long.MIN_VALUE));
      } else {
        b.addItems(item(k, v));
      }
    });
    TestNodes.blocking(sourceChannel).incrementMany(b.build());
  }

  static IncrementManyRequest.Item item(String key, long amount) {
    return IncrementManyRequest.Item.newBuilder().setKey(key).setAmount(amount).build();
  }

  @AfterAll
  static void stop() {
    TestNodes.shutdown(sourceChannel);
    TestNodes.shutdown(destChannel);
    if (source != null) {
      source.close();
    }
    if (dest != null) {
      dest.close();
    }
  }

  static Map<String, Long> read(ManagedChannel ch) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (CounterValue v : TestNodes.blocking(ch).getMany(GetManyRequest.newBuilder().addAllKeys(values.keySet()).build())
        .getValuesList()) {
      out.put(v.getKey(), v.getValue());
    }
    return out;
  }

  static String target(TallyNode n) {
    return "127.0.0.1:" + n.clientPort();
  }

  @Test
  void exportThenImport_betweenTwoClusters_exactValues_andAgainChangesNothing() throws IOException {
    assertThat(read(sourceChannel)).isEqualTo(values);
    Path file = dir.resolve("out/counters.jsonl");
    Files.createDirectories(file.getParent());

    Cli.Result export = Cli.run("export", "--out", file.toString(), "--target", target(source));

    assertThat(export.exitCode()).as(export.toString()).isZero();
    assertThat(export.err()).contains("exported " + values.size() + " counters from 127.0.0.1:" + source.clientPort());
    assertThat(export.out()).isEmpty();
    try (var leftovers = Files.list(file.getParent())) {
      assertThat(leftovers.map(p -> p.getFileName().toString()).toList()).containsExactly("counters.jsonl");
    }
    // Every line is one object with exactly the three fields; values read back exact.
    ObjectMapper json = new ObjectMapper();
    Map<String, Long> exported = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      JsonNode n = json.readTree(line);
      assertThat(n.size()).isEqualTo(3);
      assertThat(n.get("value").isIntegralNumber()).isTrue();
      Instant.parse(n.get("updated_at").asText());
      assertThat(n.get("updated_at").asText()).endsWith("Z");
      exported.put(n.get("key").asText(), n.get("value").longValue());
    }
    assertThat(exported).isEqualTo(values);

    Cli.Result first = Cli.run("import", "jsonl", "--in", file.toString(), "--target", target(dest));

    assertThat(first.exitCode()).as(first.toString()).isZero();
    // likes:zero is 0 on an empty cluster already.
    assertThat(first.err()).contains("import from " + file + ": imported " + (values.size() - 1)
        + ", unchanged 1, skipped 0, failed 0");
    assertThat(read(destChannel)).isEqualTo(values);
    long writesAfterFirst = destWrites.get();
    assertThat(writesAfterFirst).isPositive();

    Cli.Result again = Cli.run("import", "jsonl", "--in", file.toString(), "--target", target(dest));

    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.err()).contains("imported 0, unchanged " + values.size() + ", skipped 0, failed 0");
    assertThat(read(destChannel)).isEqualTo(values);
    assertThat(destWrites.get()).isEqualTo(writesAfterFirst);

    Cli.Result summary = Cli.run("import", "jsonl", "--in", file.toString(), "--target", target(dest), "--json");
    assertThat(summary.exitCode()).as(summary.toString()).isZero();
    assertThat(summary.out()).isEqualTo("{\"source\":" + new ObjectMapper().writeValueAsString(file.toString())
        + ",\"dry_run\":false,\"imported\":0,\"unchanged\":" + values.size() + ",\"skipped\":{\"non_integer\":0,"
        + "\"not_string\":0,\"out_of_range\":0,\"invalid_key\":0},\"failed\":0}\n");
  }

  @Test
  void exportToStdout_prefix_writesOnlyThoseLines() {
    Cli.Result r = Cli.run("export", "--out", "-", "--prefix", "likes:", "--target", target(source));

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out().lines().toList()).hasSize(6).allSatisfy(l -> assertThat(l).startsWith("{\"key\":\"likes:"));
    assertThat(r.out()).contains("{\"key\":\"likes:min\",\"value\":-9223372036854775808,\"updated_at\":\"");
  }

  @Test
  void export_firstTargetDown_resumesOnTheNext() throws IOException {
    int down = TestNodes.freePort();
    Path file = dir.resolve("resumed.jsonl");

    Cli.Result r = Cli.run("export", "--out", file.toString(), "--target", "127.0.0.1:" + down + "," + target(source));

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).contains("export from 127.0.0.1:" + down + " interrupted after 0 counters: UNAVAILABLE")
        .contains("exported " + values.size() + " counters from " + target(source));
    assertThat(Files.readAllLines(file)).hasSize(values.size());
  }

  @Test
  void export_nodeDown_failsAndLeavesNoFile() throws IOException {
    Path file = dir.resolve("never.jsonl");

    Cli.Result r = Cli.run("export", "--out", file.toString(), "--target", "127.0.0.1:" + TestNodes.freePort());

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("error: export failed: UNAVAILABLE").contains("was not written");
    assertThat(file).doesNotExist();
    try (var left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".never.jsonl"));
    }
  }

  @Test
  void importJsonl_invalidLines_importNothing_andNameTheLines() throws IOException {
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(bad, String.join("\n", List.of(
        "{\"key\":\"bad:1\",\"value\":1}",
        "{\"key\":\"bad:2\",\"value\":1.5}",
        "not json",
        "{\"key\":\"bad:3\",\"value\":99999999999999999999}",
        "{\"value\":3}",
        "")));
    long writes = destWrites.get();

    Cli.Result r = Cli.run("import", "jsonl", "--in", bad.toString(), "--target", target(dest));

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.INPUT_INVALID);
    assertThat(r.err())
        .contains("line 2: value must be an integer, got a number with a fraction or exponent")
        .contains("line 3: not valid JSON")
        .contains("line 4: value 99999999999999999999 is outside int64")
        .contains("line 5: no \"key\"")
        .contains("has 4 invalid lines; nothing was imported");
    assertThat(destWrites.get()).isEqualTo(writes);
  }

  @Test
  void badCommandLines_areUsageErrors() {
    Cli.Result noIn = Cli.run("import", "jsonl", "--target", target(dest));
    assertThat(noIn.exitCode()).isEqualTo(2);
    assertThat(noIn.err()).contains("Missing required option: '--in=FILE'");

    Cli.Result wrongFlag = Cli.run("export", "--out", "x.jsonl", "--frob");
    assertThat(wrongFlag.exitCode()).isEqualTo(2);
    assertThat(wrongFlag.err()).contains("tally export: Unknown option: '--frob'").contains("Try 'tally export --help'");

    Cli.Result missing = Cli.run("import", "jsonl", "--in", dir.resolve("nope.jsonl").toString(), "--target", target(dest));
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("is not a readable file");

    Cli.Result batch = Cli.run("import", "jsonl", "--in", "x", "--batch", "5000");
    assertThat(batch.exitCode()).isEqualTo(2);
    assertThat(batch.err()).contains("--batch is 1..1000");

    Cli.Result jsonToStdout = Cli.run("export", "--out", "-", "--json");
    assertThat(jsonToStdout.exitCode()).isEqualTo(2);
    assertThat(jsonToStdout.err()).contains("--json prints a summary on stdout");

    Cli.Result noSub = Cli.run("import");
    assertThat(noSub.exitCode()).isEqualTo(2);
    assertThat(noSub.err()).contains("missing command");
  }
}
