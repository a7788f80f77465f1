package dev.tally.gossip.sim;

import java.util.List;
import java.util.Map;

/** The outcome of one seed. */
record SimResult(
    long seed,
    boolean ok,
    String failure,
    String params,
    List<String> faults,
    long operations,
    int indeterminate,
    int storeFaults,
    int quorumWritesOk,
    int quorumWritesFailed,
    int quorumReadsOk,
    int quorumReadsFailed,
    int crashes,
    int wipes,
    int cleanStops,
    int restores,
    int rotations,
    long events,
    long convergeMillis,
    Map<String, long[]> messages,
    Failover failover) {

  /** What the failover clients did: writes, retries on other nodes, refusals by a fence, and the nodes' resolutions. */
  record Failover(int ops, int retries, int fenced, int uncertain, int compensations, Map<String, Integer> outcomes) {}

  /** The report of a failing seed: what broke, the run's shape and fault schedule, how to replay. */
  String report() {
    StringBuilder sb = new StringBuilder();
    sb.append("SEED=").append(seed).append(" FAILED: ").append(failure).append('\n');
    sb.append("  cluster: ").append(params).append('\n');
    sb.append("  ").append(operations).append(" acknowledged ops (").append(indeterminate).append(" indeterminate), ")
        .append(storeFaults).append(" store faults, ").append(crashes).append(" crashes, ")
        .append(cleanStops).append(" clean stops, ").append(restores).append(" restores from backup, ")
        .append(rotations).append(" replica id changes, ")
        .append(wipes).append(" wipes, ").append(events).append(" events\n");
    sb.append("  failover clients: ").append(failover.ops()).append(" writes, ").append(failover.retries())
        .append(" retries, ").append(failover.fenced()).append(" refused by a fence, ").append(failover.compensations())
        .append(" compensations, resolutions ").append(failover.outcomes()).append('\n');
    sb.append("  fault schedule (").append(faults.size()).append(" events):\n");
    int shown = 0;
    for (String f : faults) {
      if (shown++ == 60) {
        sb.append("    ... ").append(faults.size() - 60).append(" more\n");
        break;
      }
      sb.append("    ").append(f).append('\n');
    }
    sb.append("  replay: mvn -B -pl gossip -am test -Dtest=SimulationTest -Dsurefire.failIfNoSpecifiedTests=false")
        .append(" -Dtally.sim.seed=").append(seed).append(" [-Dtally.sim.trace=true]\n");
    return sb.toString();
  }
}
