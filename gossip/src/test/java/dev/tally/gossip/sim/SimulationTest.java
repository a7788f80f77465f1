package dev.tally.gossip.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Runs the deterministic cluster simulation ({@link Simulation}) over many seeds.
 *
 * <ul>
 *   <li>{@code -Dtally.sim.seed=N} runs exactly seed N (add {@code -Dtally.sim.trace=true} to print
 *       every message, membership change, commit and fault as it happens);
 *   <li>{@code -Dtally.sim.seeds=COUNT} runs COUNT seeds (default 1000) starting at
 *       {@code -Dtally.sim.firstSeed} (default 1), on {@code -Dtally.sim.threads} threads (default
 *       2; seeds share nothing, so each one replays the same on any thread).
 * </ul>
 *
 * Each seed prints {@code SEED=<n>} before it runs; a failing seed prints what broke, the cluster
 * shape, the fault schedule and the command that replays it.
 */
class SimulationTest {

  @Test
  void seeds_convergeToExactTotalsAfterFaults() throws Exception {
    String single = System.getProperty("tally.sim.seed");
    boolean tracing = Boolean.getBoolean("tally.sim.trace");
    long first = single != null ? Long.parseLong(single) : Long.getLong("tally.sim.firstSeed", 1L);
    int count = single != null ? 1 : Integer.getInteger("tally.sim.seeds", 1000);
    int threads = single != null ? 1 : Math.max(1, Integer.getInteger("tally.sim.threads", 2));

    long started = System.nanoTime();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<SimResult>> runs = new ArrayList<>();
    try {
      for (long s = first; s < first + count; s++) {
        long seed = s;
        runs.add(pool.submit(() -> {
          if (stop.get()) {
            return null;
          }
          System.out.println("SEED=" + seed);
          SimResult r = new Simulation(seed, tracing, System.out).run();
          if (!r.ok()) {
            System.out.println(r.report());
          }
          return r;
        }));
      }
      List<String> failures = new ArrayList<>();
      int run = 0;
      long operations = 0;
      long writesFailed = 0;
      long storeFaults = 0;
      long events = 0;
      long crashes = 0;
      long wipes = 0;
      long cleanStops = 0;
      long restores = 0;
      long rotations = 0;
      long quorumOk = 0;
      long quorumFailed = 0;
      long worstConverge = 0;
      long worstSeed = -1;
      long foOps = 0;
      long foRetries = 0;
      long foFenced = 0;
      long foUncertain = 0;
      long foCompensations = 0;
      java.util.Map<String, Long> foOutcomes = new java.util.TreeMap<>();
      for (Future<SimResult> f : runs) {
        SimResult r = f.get();
        if (r == null) {
          continue;
        }
        run++;
        operations += r.operations();
        writesFailed += r.indeterminate();
        storeFaults += r.storeFaults();
        events += r.events();
        crashes += r.crashes();
        wipes += r.wipes();
        cleanStops += r.cleanStops();
        restores += r.restores();
        rotations += r.rotations();
        quorumOk += r.quorumWritesOk() + r.quorumReadsOk();
        quorumFailed += r.quorumWritesFailed() + r.quorumReadsFailed();
        foOps += r.failover().ops();
        foRetries += r.failover().retries();
        foFenced += r.failover().fenced();
        foUncertain += r.failover().uncertain();
        foCompensations += r.failover().compensations();
        r.failover().outcomes().forEach((k, v) -> foOutcomes.merge(k, (long) v, Long::sum));
        if (!r.ok()) {
          failures.add(r.report());
          if (failures.size() >= 5) {
            stop.set(true);
          }
        } else if (r.convergeMillis() > worstConverge) {
          worstConverge = r.convergeMillis();
          worstSeed = r.seed();
        }
        if (single != null && r.ok()) {
          System.out.println("  " + r.params() + "\n  converged " + r.convergeMillis() + " ms after the heal; "
              + r.operations() + " ops, " + r.crashes() + " crashes, " + r.wipes() + " wipes, " + r.events() + " events");
          r.faults().forEach(fault -> System.out.println("    " + fault));
        }
      }
      System.out.printf("simulated %d seed(s) on %d thread(s) in %.1f s: %d acknowledged ops (%d indeterminate), %d store faults, %d events, %d crashes,"
              + " %d wipes, %d clean stops, %d restores from backup, %d replica id changes, %d quorum ops ok / %d failed;"
              + " slowest convergence after heal %d ms (seed %d)%n",
          run, threads, (System.nanoTime() - started) / 1e9, operations, writesFailed, storeFaults, events, crashes, wipes,
          cleanStops, restores, rotations, quorumOk, quorumFailed, worstConverge, worstSeed);
      System.out.printf("failover clients: %d writes retried %d times on other nodes, %d attempts refused by a fence,"
              + " %d compensations, %d writes of unknown count (lost dir, given up); resolutions %s%n",
          foOps, foRetries, foFenced, foCompensations, foUncertain, foOutcomes);
      assertThat(failures).as(String.join("\n", failures)).isEmpty();
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    }
  }
}
