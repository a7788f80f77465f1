package dev.tally.node.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.node.config.HostPort;
import dev.tally.node.testing.TestNodes;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis side of {@code tally bench} against a real {@code redis-server} (started by the test on
 * a free loopback port, no persistence): what Redis counted must match what the generator saw
 * succeed. Runs where redis-server is installed ({@code apt-get install redis-server};
 * {@code bin/bench-compare} installs it).
 */
@EnabledIf("redisInstalled")
class RedisTargetTest {
  @TempDir
  Path dir;

  private Process redis;
  private int port;
  private RedisClient client;
  private StatefulRedisConnection<String, String> connection;

  static boolean redisInstalled() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(File.pathSeparator)) {
      if (new File(d, "redis-server").canExecute()) {
        return true;
      }
    }
    return false;
  }

  @BeforeEach
  void startRedis() throws IOException {
    port = TestNodes.freePort();
    redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    client = RedisClient.create(RedisURI.create("127.0.0.1", port));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
        .until(() -> (connection = client.connect()) != null);
  }

  @AfterEach
  void stopRedis() throws InterruptedException {
    if (connection != null) {
      connection.close();
    }
    client.shutdown();
    redis.destroy();
    if (!redis.waitFor(10, TimeUnit.SECONDS)) {
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private LoadGenerator generator(LoadTarget target, Workload workload, KeyDistribution distribution, int keys) {
    return new LoadGenerator(target, new LoadSettings(workload, distribution, keys, "r:", 8, 0, Duration.ofMillis(200),
        Duration.ofMillis(500), 10, 1, 1, 5L, Duration.ofSeconds(10), false), null);
  }

  private long sum(int keys) {
    long total = 0;
    for (int i = 0; i < keys; i++) {
      String v = connection.sync().get("r:" + i);
      total += v == null ? 0 : Long.parseLong(v);
    }
    return total;
  }

  @Test
  void hotKeyIncrby_redisCountsExactlyTheCallsThatSucceeded() throws Exception {
    try (RedisTarget target = new RedisTarget(new HostPort("127.0.0.1", port), 2, RedisBatchMode.SCRIPT, Duration.ofSeconds(5))) {
      LoadGenerator generator = generator(target, Workload.INCR, KeyDistribution.HOT, 1);
      BenchResult result = generator.run();

      assertThat(result.errors()).isEmpty();
      assertThat(sum(1)).isEqualTo(generator.succeeded(Operation.INCR)).isPositive();
    }
  }

  @Test
  void batchAsScriptAndAsPipeline_everyItemOfEverySuccessfulBatchIsCounted() throws Exception {
    for (RedisBatchMode mode : RedisBatchMode.values()) {
      connection.sync().flushall();
      try (RedisTarget target = new RedisTarget(new HostPort("127.0.0.1", port), 2, mode, Duration.ofSeconds(5))) {
        LoadGenerator generator = generator(target, Workload.BATCH, KeyDistribution.UNIFORM, 30);
        BenchResult result = generator.run();

        assertThat(result.errors()).as(mode.label()).isEmpty();
        assertThat(sum(30)).as(mode.label()).isEqualTo(generator.succeeded(Operation.BATCH) * 10).isPositive();
      }
    }
  }

  @Test
  void errorCode_namesRedisErrorsByTheirPrefix() {
    assertThat(RedisTarget.errorCode(new io.lettuce.core.RedisCommandExecutionException("OOM command not allowed")))
        .isEqualTo("OOM");
    assertThat(RedisTarget.errorCode(new io.lettuce.core.RedisCommandTimeoutException("timed out"))).isEqualTo("TIMEOUT");
  }
}
