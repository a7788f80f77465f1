package dev.tally.gossip.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs this module's JMH benchmarks (not part of {@code mvn verify}: only with {@code -Djmh=REGEX}).
 *
 * <pre>
 *   mvn -B -pl gossip -am test -Dtest=GossipJmhBenchmarks -Dsurefire.failIfNoSpecifiedTests=false -Djmh=PnCounter \
 *       [-Djmh.forks=1] [-Djmh.warmups=2] [-Djmh.iterations=3] [-Djmh.time=1s] [-Djmh.params=replicas=3]
 *       [-Djmh.jvmArgs=-XX:StartFlightRecording=filename=/tmp/jmh.jfr]
 * </pre>
 *
 * The defaults are short (1 fork, 2 warm-up and 3 measured iterations of 1 s) because the machine
 * has two cores shared with everything else: treat single runs as noisy and compare within a run.
 * JMH's log goes to {@code target/jmh/<regex>.log}, the results to {@code target/jmh/<regex>.json}
 * and a table to {@code target/jmh/<regex>.txt} (surefire keeps the console for itself).
 */
@EnabledIfSystemProperty(named = "jmh", matches = ".+")
public class GossipJmhBenchmarks {

  @Test
  void run() throws RunnerException, IOException {
    runJmh(Path.of("target", "jmh"));
  }

  /** Runs the benchmarks matching {@code -Djmh}, writing log, JSON and table into {@code outDir}. */
  public static void runJmh(Path outDir) throws RunnerException, IOException {
    String include = System.getProperty("jmh");
    Files.createDirectories(outDir);
    String name = include.replaceAll("[^A-Za-z0-9_.-]", "_");
    ChainedOptionsBuilder options = new OptionsBuilder()
        .include(include)
        .forks(Integer.getInteger("jmh.forks", 1))
        .warmupIterations(Integer.getInteger("jmh.warmups", 2))
        .measurementIterations(Integer.getInteger("jmh.iterations", 3))
        .warmupTime(TimeValue.fromString(System.getProperty("jmh.time", "1s")))
        .measurementTime(TimeValue.fromString(System.getProperty("jmh.time", "1s")))
        .shouldFailOnError(true)
        .output(outDir.resolve(name + ".log").toString())
        .result(outDir.resolve(name + ".json").toString())
        .resultFormat(ResultFormatType.JSON);
    String jvmArgs = System.getProperty("jmh.jvmArgs", "").strip();
    if (!jvmArgs.isEmpty()) {
      options.jvmArgsAppend(jvmArgs.split("\\s+"));
    }
    String params = System.getProperty("jmh.params", "");
    for (String p : params.split(";")) {
      int eq = p.indexOf('=');
      if (eq > 0) {
        options.param(p.substring(0, eq).strip(), p.substring(eq + 1).strip().split(","));
      }
    }
    var results = new Runner(options.build()).run();
    StringBuilder table = new StringBuilder();
    for (var r : results) {
      String label = r.getParams().getBenchmark().replaceFirst("^.*\\.([^.]+\\.[^.]+)$", "$1")
          + r.getParams().getParamsKeys().stream().map(k -> " " + k + "=" + r.getParams().getParam(k))
              .reduce("", String::concat);
      table.append(String.format("%-72s %12.3f ± %9.3f %s%n", label, r.getPrimaryResult().getScore(),
          r.getPrimaryResult().getScoreError(), r.getPrimaryResult().getScoreUnit()));
      r.getSecondaryResults().forEach((k, v) -> table.append(String.format("%-72s %12.3f ± %9.3f %s%n",
          "    " + k, v.getScore(), v.getScoreError(), v.getScoreUnit())));
    }
    Files.writeString(outDir.resolve(name + ".txt"), table.toString());
    System.out.print(table);
  }
}
