package dev.tally.node.bench;

import dev.tally.api.v1.Consistency;
import dev.tally.node.cli.SecurityOptions;
import dev.tally.node.cli.TargetResolver;
import dev.tally.node.config.Durations;
import dev.tally.node.config.HostPort;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tally bench}: load against Tally nodes or, with {@code --redis}, a Redis server, through
 * the same {@link LoadGenerator}; a progress line every second on stderr, then the report (or
 * {@code --json}) on stdout.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Measures throughput and latency of Tally nodes, or of Redis with --redis, with one load generator.",
        "Closed loop (as fast as the server answers) unless --rate gives an open-loop target rate;",
        "latency percentiles come from HdrHistogram. Progress goes to stderr, the report to stdout.",
        ""
    },
    footer = {
        "",
        "Examples:",
        "  tally bench --workload incr --duration 30s",
        "  tally bench --workload get --keys 10000 --concurrency 64 --target 127.0.0.1:7400",
        "  tally bench --workload incr --distribution hot",
        "  tally bench --workload batch --batch-size 100 --json",
        "  tally bench --workload mixed --ratio 10:1 --rate 20000",
        "  tally bench --workload incr --redis 127.0.0.1:6379",
        "  tally bench --workload incr --rate 5000 --warmup 0s --replication-metrics 127.0.0.1:7403,127.0.0.1:7413,127.0.0.1:7423",
        "",
        "Request ids are off by default so that Tally and Redis do the same work per call; --request-ids",
        "sends a unique one with every write, as the client SDK does (each costs a dedupe record)."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:the run finished (failed calls, if any, are in the report)",
        "1:the run could not start or finish (target unreachable, prefill failed)",
        "2:invalid options"
    })
public final class BenchCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--target", paramLabel = "HOST:PORT[,...]",
      description = "Tally nodes to drive; calls spread over them. Default: the local cluster of 'tally up'"
          + " ($TALLY_HOME/local/endpoints, TALLY_HOME defaulting to ~/.tally), else 127.0.0.1:7400, as the client commands.")
  String target;

  @Option(names = "--redis", paramLabel = "HOST:PORT",
      description = "Drive this Redis server instead (GET, INCRBY key 1; batch per --redis-batch).")
  String redis;

  @Option(names = "--workload", paramLabel = "incr|get|mixed|batch", defaultValue = "incr",
      description = "What each call does. Default: ${DEFAULT-VALUE}.")
  String workload;

  @Option(names = "--ratio", paramLabel = "READS:WRITES", defaultValue = "10:1",
      description = "Read:write ratio of the mixed workload. Default: ${DEFAULT-VALUE}.")
  String ratio;

  @Option(names = "--batch-size", paramLabel = "N", defaultValue = "100",
      description = "Items per IncrementMany in the batch workload (1..1000). Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--redis-batch", paramLabel = "script|pipeline", defaultValue = "script",
      description = "Redis form of one batch: one EVALSHA of an INCRBY script (atomic, one reply, like"
          + " IncrementMany) or a pipelined burst of INCRBY. Default: ${DEFAULT-VALUE}.")
  String redisBatch;

  @Option(names = "--keys", paramLabel = "K", defaultValue = "10000",
      description = "Number of distinct keys. Default: ${DEFAULT-VALUE}.")
  int keys;

  @Option(names = "--distribution", paramLabel = "uniform|zipfian|hot", defaultValue = "uniform",
      description = "How keys are picked: uniform, zipfian (theta 0.99), or hot (every call on one key)."
          + " Default: ${DEFAULT-VALUE}.")
  String distribution;

  @Option(names = "--key-prefix", paramLabel = "TEXT", defaultValue = "bench:",
      description = "Keys are TEXT0, TEXT1, ... Default: ${DEFAULT-VALUE}.")
  String keyPrefix;

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "64",
      description = "Calls in flight (closed loop), or the most in flight (open loop). Default: ${DEFAULT-VALUE}.")
  int concurrency;

  @Option(names = "--channels", paramLabel = "N", defaultValue = "2",
      description = "Connections per endpoint (gRPC channels or Redis connections), each on its own"
          + " client event-loop thread. Default: ${DEFAULT-VALUE}.")
  int channels;

  @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s",
      description = "Measured time, e.g. 30s or 2m. Default: ${DEFAULT-VALUE}.")
  String duration;

  @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "5s",
      description = "Load before measuring (JIT, caches, connections), thrown away. Default: ${DEFAULT-VALUE}.")
  String warmup;

  @Option(names = "--rate", paramLabel = "CALLS_PER_SECOND",
      description = "Open loop at this rate; latency counts from each call's intended send time, so"
          + " stalls cannot hide (no coordinated omission). Default: closed loop, maximum throughput.")
  Double rate;

  @Option(names = "--consistency", paramLabel = "local|quorum", defaultValue = "local",
      description = "Consistency level of Tally calls. Default: ${DEFAULT-VALUE}.")
  String consistency;

  @Option(names = "--request-ids",
      description = "Send a unique request_id with every Tally write (off by default, so the Redis"
          + " comparison is like for like).")
  boolean requestIds;

  @Option(names = "--prior-nodes", paramLabel = "NAME[,NAME...]", split = ",",
      description = "Send these prior_nodes (and a unique request_id) with every Tally write, as a retry on"
          + " another node would: measures the failover path, where each write first asks those nodes"
          + " (a node that never saw the id fences it). Implies --request-ids.")
  List<String> priorNodes;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      description = "Deadline of each call. Default: ${DEFAULT-VALUE}.")
  String timeout;

  @Option(names = "--seed", paramLabel = "N", description = "Seed of the key and operation choices. Default: random (printed).")
  Long seed;

  @Option(names = "--no-prefill", negatable = false,
      description = "Do not add 1 to every key before a get or mixed run (then reads may find no value).")
  boolean noPrefill;

  @Option(names = "--replication-metrics", paramLabel = "HOST:PORT[,...]",
      description = "Metrics endpoints of the cluster's nodes: report the replication delay (p50/p99 of"
          + " tally_replication_delay_seconds, every node and peer) over the measured interval, read"
          + " --replication-grace after it so late acks count.")
  String replicationMetrics;

  @Option(names = "--replication-grace", paramLabel = "DURATION", defaultValue = "2s",
      description = "With --replication-metrics: wait this long after the run before the last scrape. Default: ${DEFAULT-VALUE}.")
  String replicationGrace;

  @Mixin
  SecurityOptions securityOptions;

  @Option(names = "--json", description = "Print the result as one JSON object instead of the report.")
  boolean json;

  @Option(names = "--quiet", description = "No progress line.")
  boolean quiet;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LoadSettings settings = settings();
    LoadTarget loadTarget;
    try {
      loadTarget = openTarget(settings);
    } catch (RuntimeException e) {
      err.println("tally bench: cannot connect: " + e.getMessage());
      err.flush();
      return 1;
    }
    try (LoadTarget t = loadTarget) {
      if (!quiet) {
        err.println("tally bench: " + settings.workload().label() + " against " + t.describe() + ", seed " + settings.seed());
        err.flush();
      }
      LoadGenerator generator = new LoadGenerator(t, settings, quiet ? null : p -> {
        err.println(p.line());
        err.flush();
      });
      ReplicationDelay delay = replicationMetrics == null ? null
          : new ReplicationDelay(parseEndpoints("--replication-metrics", replicationMetrics));
      if (delay != null) {
        generator.onMeasureStart(delay::start);
      }
      BenchResult result = generator.run();
      if (delay != null) {
        // Changes made at the end are acknowledged by peers a gossip interval or more later.
        TimeUnit.MILLISECONDS.sleep(duration("--replication-grace", replicationGrace).toMillis());
        result = result.withReplicationDelay(delay.finish());
      }
      if (json) {
        out.println(result.toJson());
      } else {
        result.render().forEach(out::println);
      }
      out.flush();
      return 0;
    } catch (BenchException e) {
      err.println("tally bench: " + e.getMessage());
      err.flush();
      return 1;
    }
  }

  private LoadTarget openTarget(LoadSettings settings) {
    if (redis != null) {
      return new RedisTarget(parseEndpoints("--redis", redis).get(0), channels, parseRedisBatch(), settings.timeout());
    }
    String targets = target != null ? target : TargetResolver.system().resolve().target();
    return new TallyTarget(parseEndpoints("--target", targets), channels, parseConsistency(),
        requestIds || priorNodes != null, priorNodes == null ? List.of() : priorNodes, settings.timeout().toNanos(),
        settings.seed(), security());
  }

  private TallyTarget.Security security() {
    try {
      return new TallyTarget.Security(securityOptions.sslContext(), securityOptions.tokenInterceptor(System.getenv()));
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /** The validated settings; picocli usage errors (exit 2) for anything wrong. */
  LoadSettings settings() {
    if (replicationMetrics != null) {
      if (redis != null) {
        throw usage("--replication-metrics applies to a Tally cluster, not Redis");
      }
      parseEndpoints("--replication-metrics", replicationMetrics);
      duration("--replication-grace", replicationGrace);
    }
    if (redis != null && target != null) {
      throw usage("give either --target (Tally) or --redis, not both");
    }
    if (redis != null) {
      parseEndpoints("--redis", redis);
      if (redis.contains(",")) {
        throw usage("--redis takes one HOST:PORT, got '" + redis + "'");
      }
      if (requestIds || priorNodes != null) {
        throw usage("--request-ids and --prior-nodes apply to Tally only; Redis has no request ids");
      }
      if (parseConsistency() != Consistency.CONSISTENCY_LOCAL) {
        throw usage("--consistency applies to Tally only; a single Redis server has one copy");
      }
    } else if (target != null) {
      parseEndpoints("--target", target);
    }
    if (channels < 1 || channels > 256) {
      throw usage("--channels must be 1..256, got " + channels);
    }
    int[] weights = parseRatio();
    try {
      return new LoadSettings(parseEnum(Workload.class, "--workload", workload),
          parseEnum(KeyDistribution.class, "--distribution", distribution), keys, keyPrefix, concurrency,
          rate == null ? 0 : rate, duration("--warmup", warmup), duration("--duration", duration), batchSize,
          weights[0], weights[1], seed != null ? seed : ThreadLocalRandom.current().nextLong(),
          duration("--timeout", timeout), !noPrefill && needsPrefill());
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private boolean needsPrefill() {
    String w = workload.toLowerCase(Locale.ROOT);
    return w.equals("get") || w.equals("mixed");
  }

  private int[] parseRatio() {
    String[] parts = ratio.strip().split(":");
    try {
      if (parts.length == 2) {
        return new int[] {Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip())};
      }
    } catch (NumberFormatException e) {
      // falls through to the usage error
    }
    throw usage("--ratio must be READS:WRITES with whole numbers, e.g. 10:1; got '" + ratio + "'");
  }

  private Consistency parseConsistency() {
    switch (consistency.strip().toLowerCase(Locale.ROOT)) {
      case "local":
        return Consistency.CONSISTENCY_LOCAL;
      case "quorum":
        return Consistency.CONSISTENCY_QUORUM;
      default:
        throw usage("--consistency must be local or quorum, got '" + consistency + "'");
    }
  }

  private RedisBatchMode parseRedisBatch() {
    return parseEnum(RedisBatchMode.class, "--redis-batch", redisBatch);
  }

  private <E extends Enum<E>> E parseEnum(Class<E> type, String flag, String text) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(text.strip())) {
        return e;
      }
    }
    StringBuilder names = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      names.append(names.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
    }
    throw usage(flag + " must be one of " + names + "; got '" + text + "'");
  }

  private Duration duration(String flag, String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw usage(flag + ": " + e.getMessage());
    }
  }

  private List<HostPort> parseEndpoints(String flag, String text) {
    try {
      return Endpoints.parse(text);
    } catch (IllegalArgumentException e) {
      throw usage(flag + ": " + e.getMessage());
    }
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
