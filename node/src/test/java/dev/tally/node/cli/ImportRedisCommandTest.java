package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tally import redis} against a real {@code redis-server} (on a free loopback port, no
 * persistence) and a real node: integer strings imported, everything else skipped and counted,
 * keys outside --match untouched, a rerun and a dry run write nothing. Runs where redis-server is
 * installed ({@code .ci/run} installs it).
 */
@EnabledIf("redisInstalled")
class ImportRedisCommandTest {
  @TempDir
  static Path dir;

  static Process redis;
  static int redisPort;
  static RedisClient client;
  static StatefulRedisConnection<String, String> connection;
  static TallyNode node;
  static ManagedChannel channel;
  static final AtomicLong nodeWrites = new AtomicLong();

  static boolean redisInstalled() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(d, "redis-server").canExecute()) {
        return true;
      }
    }
    return false;
  }

  @BeforeAll
  static void start() throws IOException {
    redisPort = TestNodes.freePort();
    redis = new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    client = RedisClient.create(RedisURI.create("127.0.0.1", redisPort));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
        .until(() -> (connection = client.connect()) != null);
    RedisCommands<String, String> r = connection.sync();
    r.set("likes:a", "5");
    r.set("likes:b", "-3");
    r.set("likes:max", Long.toString(Long.MAX_VALUE));
    r.set("likes:zero", "0");
    r.set("likes:ключ", "12");
    r.set("likes:float", "1.5");
    r.set("likes:word", "abc");
    r.set("likes:leading-zero", "007");
    r.set("likes:huge", "99999999999999999999");
    r.hset("likes:hash", "f", "1");
    r.rpush("likes:list", "1", "2");
    r.set("views:outside", "7");
    for (int i = 0; i < 1200; i++) {
      r.set("likes:many:" + i, Integer.toString(i));
    }
    node = TallyNode.start(TestNodes.config(dir.resolve("data")), TallyNode.Options.defaults()
        .withStoreWriteHook(nodeWrites::addAndGet));
    channel = TestNodes.channel(node);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
    if (connection != null) {
      connection.close();
    }
    if (client != null) {
      client.shutdown();
    }
    if (redis != null) {
      redis.destroy();
      if (!redis.waitFor(10, TimeUnit.SECONDS)) {
        redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  static Map<String, Long> read(List<String> keys) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (CounterValue v : TestNodes.blocking(channel).getMany(GetManyRequest.newBuilder().addAllKeys(keys).build())
        .getValuesList()) {
      out.put(v.getKey(), v.getValue());
    }
    return out;
  }

  static Cli.Result importRedis(String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("import", "redis", "--url",
        "redis://127.0.0.1:" + redisPort + "/0", "--match", "likes:*", "--target", "127.0.0.1:" + node.clientPort()));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(new String[0]));
  }

  static final List<String> CHECKED = List.of("likes:a", "likes:b", "likes:max", "likes:zero", "likes:ключ",
      "likes:float", "likes:word", "likes:leading-zero", "likes:huge", "likes:hash", "likes:list", "views:outside",
      "likes:many:0", "likes:many:1199");

  @Test
  void importRedis_integersImported_restSkippedAndCounted_rerunAndDryRunWriteNothing() {
    // 1 unchanged (likes:zero, like likes:many:0, is 0 in an empty cluster already).
    Cli.Result first = importRedis("--batch", "100");

    assertThat(first.exitCode()).as(first.toString()).isZero();
    assertThat(first.err()).contains("import from redis://127.0.0.1:" + redisPort + "/0 matching 'likes:*': imported "
        + (4 + 1199) + ", unchanged 2, skipped 6 (3 non-integer, 2 not a string, 1 out of range), failed 0");
    Map<String, Long> expected = new LinkedHashMap<>();
    expected.put("likes:a", 5L);
    expected.put("likes:b", -3L);
    expected.put("likes:max", Long.MAX_VALUE);
    expected.put("likes:zero", 0L);
    expected.put("likes:ключ", 12L);
    expected.put("likes:float", 0L);
    expected.put("likes:word", 0L);
    expected.put("likes:leading-zero", 0L);
    expected.put("likes:huge", 0L);
    expected.put("likes:hash", 0L);
    expected.put("likes:list", 0L);
    expected.put("views:outside", 0L);
    expected.put("likes:many:0", 0L);
    expected.put("likes:many:1199", 1199L);
    assertThat(read(CHECKED)).isEqualTo(expected);
    long writes = nodeWrites.get();

    Cli.Result again = importRedis();

    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.err()).contains("imported 0, unchanged 1205, skipped 6");
    assertThat(read(CHECKED)).isEqualTo(expected);
    assertThat(nodeWrites.get()).isEqualTo(writes);

    connection.sync().set("likes:a", "50");
    Cli.Result dry = importRedis("--dry-run");

    assertThat(dry.exitCode()).as(dry.toString()).isZero();
    assertThat(dry.err()).contains("dry run, nothing written: import from").contains("would import 1, unchanged 1204");
    assertThat(read(List.of("likes:a"))).containsEntry("likes:a", 5L);
    assertThat(nodeWrites.get()).isEqualTo(writes);

    // A counter moved in Tally since (a decrement here) is set back to Redis's value.
    TestNodes.blocking(channel).decrement(dev.tally.api.v1.DecrementRequest.newBuilder().setKey("likes:b").setAmount(10).build());
    Cli.Result update = importRedis();
    assertThat(update.exitCode()).as(update.toString()).isZero();
    assertThat(update.err()).contains("imported 2, unchanged 1203");
    assertThat(read(List.of("likes:a", "likes:b"))).containsEntry("likes:a", 50L).containsEntry("likes:b", -3L);
  }

  @Test
  void badUrl_andWrongFlag_areUsageErrors_unreachableRedisFails() {
    Cli.Result scheme = Cli.run("import", "redis", "--url", "http://127.0.0.1:6379", "--match", "x*");
    assertThat(scheme.exitCode()).isEqualTo(2);
    assertThat(scheme.err()).contains("'http://127.0.0.1:6379' does not start with redis:// or rediss://");

    Cli.Result db = Cli.run("import", "redis", "--url", "redis://127.0.0.1:6379/x");
    assertThat(db.exitCode()).isEqualTo(2);
    assertThat(db.err()).contains("names database 'x'; a database is a number >= 0");

    Cli.Result flag = Cli.run("import", "redis", "--url", "redis://127.0.0.1", "--pattern", "x*");
    assertThat(flag.exitCode()).isEqualTo(2);
    assertThat(flag.err()).contains("tally import redis: Unknown options: '--pattern'");

    int closed = TestNodes.freePort();
    Cli.Result down = Cli.run("import", "redis", "--url", "redis://127.0.0.1:" + closed,
        "--target", "127.0.0.1:" + node.clientPort());
    assertThat(down.exitCode()).as(down.toString()).isEqualTo(1);
    assertThat(down.err()).contains("error: Redis at redis://127.0.0.1:" + closed + "/0 failed");
  }
}
