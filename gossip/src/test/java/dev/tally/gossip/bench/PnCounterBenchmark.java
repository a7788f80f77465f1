package dev.tally.gossip.bench;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.PnCounterCodec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The CRDT's hot paths: every write prepares one {@link PnCounter#add}, every store read decodes,
 * every store write encodes, every replicated state merges. {@code replicas} is the number of
 * entries in the state (a counter written by that many nodes).
 *
 * <pre>
 *   mvn -B -pl gossip -am test -Dtest=GossipJmhBenchmarks -Dsurefire.failIfNoSpecifiedTests=false -Djmh=PnCounter
 * </pre>
 *
 * (see {@link GossipJmhBenchmarks} for the options and where results go).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PnCounterBenchmark {

  @Param({"1", "3", "10"})
  int replicas;

  private PnCounter state;
  private PnCounter newer;
  private byte[] encoded;
  private long self;
  private long now = 1_767_225_600_000L;

  @Setup
  public void setUp() {
    PnCounter s = PnCounter.EMPTY;
    PnCounter n = PnCounter.EMPTY;
    for (int i = 1; i <= replicas; i++) {
      long id = 0x1000L * i + 7;
      s = s.add(id, 1_000_000L * i, now, true).add(id, 1000L * i, now, false);
      // The peer's view is ahead on one entry: what a delta carries.
      n = n.add(id, 1_000_000L * i + (i == 1 ? 5 : 0), now, true).add(id, 1000L * i, now, false);
    }
    state = s;
    newer = n;
    encoded = PnCounterCodec.encode(state);
    self = 0x1000L + 7;
  }

  /** One local increment of this node's own entry (a copy-on-write of the state, with the overflow check). */
  @Benchmark
  public PnCounter add() {
    return state.add(self, 1, now, true);
  }

  @Benchmark
  public byte[] encode() {
    return PnCounterCodec.encode(state);
  }

  @Benchmark
  public PnCounter decode() {
    return PnCounterCodec.decode(encoded);
  }

  /** Merging a peer's state that is ahead on one entry (a new state results). */
  @Benchmark
  public PnCounter mergeChanging() {
    return state.merge(newer);
  }

  /** Merging a state this one already covers (returns {@code this}): a duplicate delta. */
  @Benchmark
  public PnCounter mergeCovered() {
    return newer.merge(state);
  }

  /** The 64-bit value (summed in 128 bits). */
  @Benchmark
  public long value() {
    return state.value();
  }
}
