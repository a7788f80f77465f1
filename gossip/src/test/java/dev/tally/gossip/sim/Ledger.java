package dev.tally.gossip.sim;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.store.KeyState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ground truth: every acknowledged local operation, per replica id and key, and every
 * acknowledged QUORUM write. Replicas are checked against it while faults run (nobody may hold
 * more of a replica's entry than that replica wrote: an op counted twice) and after the heal
 * (everybody holds exactly everything).
 */
final class Ledger {
  private final Map<Long, Map<String, long[]>> written = new HashMap<>();
  private final TreeMap<String, Long> expected = new TreeMap<>();
  private final Map<String, Map<String, PnCounter>> quorumAcked = new HashMap<>();
  private int quorumAcks;
  private long operations;

  /**
   * A change that {@code replica} is about to commit (in the same event). Recorded before the store
   * write so the write passes the over-count check; {@link #revoke} takes it back if the commit fails.
   */
  void applied(long replica, CounterChange change) {
    add(replica, change, 1);
    operations++;
  }

  /** The commit of {@code change} failed: nothing was written, nothing is owed. */
  void revoke(long replica, CounterChange change) {
    add(replica, change, -1);
    operations--;
  }

  private void add(long replica, CounterChange change, int sign) {
    long[] pn = written.computeIfAbsent(replica, r -> new HashMap<>()).computeIfAbsent(change.key(), k -> new long[2]);
    pn[change.decrement() ? 1 : 0] += sign * change.amount();
    expected.merge(change.key(), sign * (change.decrement() ? -change.amount() : change.amount()), Long::sum);
  }

  /** What {@code replica} wrote to {@code key}: {P, N}; zeros when nothing. */
  long[] written(long replica, String key) {
    Map<String, long[]> keys = written.get(replica);
    long[] pn = keys == null ? null : keys.get(key);
    return pn == null ? new long[2] : pn;
  }

  /** Keys ever written, with the exact value each must end at. */
  TreeMap<String, Long> expected() {
    return expected;
  }

  long operations() {
    return operations;
  }

  /** Checks one stored state against what its replicas wrote; returns a problem or null. */
  String overCounted(String node, String key, PnCounter state) {
    for (PnCounter.Entry e : state.entries()) {
      long[] pn = written(e.replica(), key);
      if (Long.compareUnsigned(e.p(), pn[0]) > 0 || Long.compareUnsigned(e.n(), pn[1]) > 0) {
        return "node " + node + " holds key '" + key + "' with replica " + Long.toHexString(e.replica())
            + " at +" + Long.toUnsignedString(e.p()) + "/-" + Long.toUnsignedString(e.n())
            + " but that replica only ever wrote +" + pn[0] + "/-" + pn[1] + " (an operation counted twice)";
      }
    }
    return null;
  }

  /** Checks a converged state exactly: every replica entry equals what it wrote. */
  String inexact(String key, PnCounter state) {
    long value = 0;
    for (PnCounter.Entry e : state.entries()) {
      long[] pn = written(e.replica(), key);
      if (e.p() != pn[0] || e.n() != pn[1]) {
        return "key '" + key + "' holds replica " + Long.toHexString(e.replica()) + " at +" + e.p() + "/-" + e.n()
            + " but it wrote +" + pn[0] + "/-" + pn[1];
      }
      value += e.p() - e.n();
    }
    for (Map.Entry<Long, Map<String, long[]>> r : written.entrySet()) {
      long[] pn = r.getValue().get(key);
      if (pn != null && (state.p(r.getKey()) != pn[0] || state.n(r.getKey()) != pn[1])) {
        return "key '" + key + "' lacks replica " + Long.toHexString(r.getKey()) + "'s +" + pn[0] + "/-" + pn[1]
            + " (has +" + state.p(r.getKey()) + "/-" + state.n(r.getKey()) + ")";
      }
    }
    long want = expected.getOrDefault(key, 0L);
    if (value != want || state.value() != want) {
      return "key '" + key + "' has value " + state.value() + " but the acknowledged operations sum to " + want;
    }
    return null;
  }

  void quorumAcked(String dc, long time, List<KeyState> states) {
    quorumAcks++;
    Map<String, PnCounter> byKey = quorumAcked.computeIfAbsent(dc, d -> new HashMap<>());
    for (KeyState ks : states) {
      byKey.merge(ks.key(), ks.state(), PnCounter::merge);
    }
  }

  /**
   * Forgets the QUORUM writes of {@code dc}: its only node lost its disk, so no copy inside the DC
   * is left to answer for them (a one-node DC's QUORUM is its LOCAL).
   */
  void forgetQuorumAcks(String dc) {
    quorumAcked.remove(dc);
  }

  /**
   * The join of every QUORUM write of {@code dc} acknowledged so far for {@code key}: a QUORUM read
   * of {@code dc} that starts now must return a state covering it.
   */
  PnCounter quorumAcked(String dc, String key) {
    Map<String, PnCounter> byKey = quorumAcked.get(dc);
    return byKey == null ? PnCounter.EMPTY : byKey.getOrDefault(key, PnCounter.EMPTY);
  }

  int quorumAckCount() {
    return quorumAcks;
  }
}
