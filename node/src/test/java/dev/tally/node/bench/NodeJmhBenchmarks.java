package dev.tally.node.bench;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Runs the node module's JMH benchmarks (only with {@code -Djmh=REGEX}; not part of {@code mvn verify}).
 *
 * <pre>
 *   mvn -B -pl node -am test -Dtest=NodeJmhBenchmarks -Dsurefire.failIfNoSpecifiedTests=false -Djmh=WritePath \
 *       [-Djmh.params='durability=sync;groupSize=64'] [-Djmh.iterations=3] [-Djmh.time=2s]
 * </pre>
 *
 * Options and outputs as {@link dev.tally.gossip.bench.GossipJmhBenchmarks}: results in
 * {@code node/target/jmh/}.
 */
@EnabledIfSystemProperty(named = "jmh", matches = ".+")
class NodeJmhBenchmarks {

  @Test
  void run() throws Exception {
    dev.tally.gossip.bench.GossipJmhBenchmarks.runJmh(Path.of("target", "jmh"));
  }
}
