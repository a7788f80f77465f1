package dev.tally.gossip.sim;

import java.util.SplittableRandom;

/**
 * Everything about one run that the seed picks: cluster shape, engine settings, network and
 * failure-detector timing, workload and phase lengths. Engine intervals and limits are scaled
 * down from production so that a few simulated seconds exercise every path (buffers overflow,
 * pushes time out, exchanges interleave with writes).
 */
record SimParams(
    int nodes,
    int dcs,
    long gossipMillis,
    long antiEntropyMillis,
    int treeDepth,
    int remoteDcFanout,
    long quorumTimeoutMillis,
    int maxDeltaKeys,
    int maxPendingKeys,
    long rpcDeadlineMillis,
    long heartbeatMillis,
    long suspectAfterMillis,
    long deadAfterMillis,
    int keys,
    long meanOpGapMillis,
    double quorumWriteRate,
    double quorumReadRate,
    long safetyMillis,
    long meanFaultGapMillis,
    double storeFailureRate,
    long livenessLimitMillis,
    long dedupeWindowMillis,
    int maxPendingWrites,
    double crashAfterAppendRate,
    double requestIdRate) {

  static SimParams random(SplittableRandom r) {
    int nodes = 3 + r.nextInt(5);
    int dcs = 1 + r.nextInt(Math.min(3, nodes));
    int maxDelta = 1 + r.nextInt(24);
    return new SimParams(
        nodes,
        dcs,
        20 + r.nextInt(81),
        100 + r.nextInt(401),
        r.nextInt(4) == 0 ? 1 : r.nextInt(8) == 0 ? 3 : 2,
        1 + r.nextInt(2),
        200 + r.nextInt(801),
        maxDelta,
        maxDelta + r.nextInt(48),
        150 + r.nextInt(600),
        100,
        400 + r.nextInt(600),
        1500 + r.nextInt(1500),
        1 + r.nextInt(r.nextBoolean() ? 12 : 120),
        25 + r.nextInt(175),
        r.nextDouble() * 0.25,
        r.nextDouble() * 0.15,
        2500 + r.nextInt(3501),
        300 + r.nextInt(1200),
        r.nextInt(3) == 0 ? 0.002 + r.nextDouble() * 0.05 : 0,
        60_000,
        // Longer than any retry takes (failover clients retry for half of it, and nodes trust
        // answers for half of it less ~2.5 s of margin), short enough that sweeps run within a seed.
        6000 + r.nextInt(10000),
        r.nextInt(4) == 0 ? 2 + r.nextInt(30) : 10_000,
        r.nextInt(3) == 0 ? r.nextDouble() * 0.03 : 0,
        r.nextDouble() * 0.8);
  }

  @Override
  public String toString() {
    return nodes + " nodes in " + dcs + " dc(s), gossip " + gossipMillis + "ms, anti-entropy " + antiEntropyMillis
        + "ms, tree depth " + treeDepth + ", remote fanout " + remoteDcFanout + ", maxDeltaKeys " + maxDeltaKeys
        + ", maxPendingKeys " + maxPendingKeys + ", rpc deadline " + rpcDeadlineMillis + "ms, quorum timeout "
        + quorumTimeoutMillis + "ms, suspect/dead after " + suspectAfterMillis + "/" + deadAfterMillis + "ms, "
        + keys + " keys, op every ~" + meanOpGapMillis + "ms, store write failures " + String.format("%.3f", storeFailureRate)
        + ", crash after a WAL append " + String.format("%.3f", crashAfterAppendRate) + ", request ids on "
        + String.format("%.0f%%", requestIdRate * 100) + " of writes, dedupe window " + dedupeWindowMillis + "ms, max pending writes "
        + maxPendingWrites + ", safety phase " + safetyMillis + "ms";
  }
}
