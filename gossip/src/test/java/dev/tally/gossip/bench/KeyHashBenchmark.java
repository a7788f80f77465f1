package dev.tally.gossip.bench;

import dev.tally.gossip.digest.KeyDigest;
import dev.tally.gossip.digest.KeyHash;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The key hashes every durable change computes (digest-tree leaf and key digest): from the String
 * (ASCII fast path) against encoding to UTF-8 first.
 *
 * <pre>
 *   mvn -B -pl gossip -am test -Dtest=GossipJmhBenchmarks -Dsurefire.failIfNoSpecifiedTests=false -Djmh=KeyHash
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KeyHashBenchmark {

  @Param({"bench:1234", "likes:post-0123456789abcdef"})
  String key;

  @Benchmark
  public long fromString() {
    return KeyDigest.keyHash64(key) ^ KeyHash.of(key);
  }

  @Benchmark
  public long viaUtf8Bytes() {
    byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
    return KeyDigest.keyHash64(utf8) ^ KeyHash.murmur3(utf8);
  }
}
