package dev.tally.gossip.sim;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.store.KeyState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The ground truth: every client write submitted to a node's group commit, what became of it,
 * and every acknowledged QUORUM write. Per replica id and key it keeps two sums: what was
 * acknowledged (must be counted exactly once, durably, from the ack on) and what may have been
 * applied (acknowledged, still pending, or indeterminate: failed by the store or lost in a
 * crash, so counted at most once). Every stored state must lie between the two.
 */
final class Ledger {

  /** What became of a submitted write. */
  enum Outcome {
    /** Submitted, no answer yet. */
    PENDING,
    /** Acknowledged: counted exactly once. */
    ACKED,
    /** Refused before anything was applied (load shed): counted nowhere. */
    REFUSED,
    /** Failed by the store or lost with a crashed process: counted at most once. */
    INDETERMINATE
  }

  /** One client write and every retry of it (same request id, same node). */
  static final class Op {
    final long id;
    final long replica;
    final List<CounterChange> changes;
    final String requestId;
    Outcome outcome = Outcome.PENDING;
    int attempts = 1;
    /**
     * Non-zero when the node took this replica id while the op was in flight: it applies under
     * {@link #replica} or this one, whichever its group was prepared under, so it counts at most
     * once under either and its ack proves nothing about which.
     */
    long orReplica;

    Op(long id, long replica, List<CounterChange> changes, String requestId) {
      this.id = id;
      this.replica = replica;
      this.changes = List.copyOf(changes);
      this.requestId = requestId;
    }

    @Override
    public String toString() {
      return "op " + id + (requestId.isEmpty() ? "" : " (" + requestId + ")") + " " + changes;
    }
  }

  /** Per replica, per key: {acked P, acked N, possible P, possible N}. */
  private final Map<Long, Map<String, long[]>> sums = new HashMap<>();
  private final TreeSet<String> keys = new TreeSet<>();
  private final Map<String, Map<String, PnCounter>> quorumAcked = new HashMap<>();
  private long nextOp;
  private int quorumAcks;
  private long acked;
  private long indeterminate;
  private long refused;

  /** A write handed to {@code replica}'s group commit: from now on it may be applied. */
  Op submitted(long replica, List<CounterChange> changes, String requestId) {
    Op op = new Op(++nextOp, replica, changes, requestId);
    add(op, 2, 1);
    for (CounterChange c : changes) {
      keys.add(c.key());
    }
    return op;
  }

  /**
   * The node changed replica id to {@code replica} while {@code op} was in flight (a peer held
   * its own entry ahead): from now on it may be applied under either id.
   */
  void mayApplyUnder(Op op, long replica) {
    if (op.orReplica != 0 || op.outcome == Outcome.REFUSED) {
      return;
    }
    op.orReplica = replica;
    addUnder(replica, op, 2, 1);
  }

  void acked(Op op) {
    if (op.orReplica != 0) {
      indeterminate(op); // acknowledged, but under which of the two ids cannot be told
      return;
    }
    if (op.outcome == Outcome.INDETERMINATE) {
      indeterminate--;
    }
    op.outcome = Outcome.ACKED;
    add(op, 0, 1);
    acked++;
  }

  /** Nothing of it was applied, and it never will be. */
  void refused(Op op) {
    if (op.outcome == Outcome.INDETERMINATE) {
      indeterminate--;
    }
    op.outcome = Outcome.REFUSED;
    add(op, 2, -1);
    refused++;
  }

  void indeterminate(Op op) {
    if (op.outcome != Outcome.INDETERMINATE) {
      indeterminate++;
    }
    op.outcome = Outcome.INDETERMINATE;
  }

  private void add(Op op, int offset, int sign) {
    addUnder(op.replica, op, offset, sign);
    if (op.orReplica != 0 && offset == 2) {
      addUnder(op.orReplica, op, offset, sign);
    }
  }

  private void addUnder(long replica, Op op, int offset, int sign) {
    Map<String, long[]> byKey = sums.computeIfAbsent(replica, r -> new HashMap<>());
    for (CounterChange c : op.changes) {
      long[] s = byKey.computeIfAbsent(c.key(), k -> new long[4]);
      s[offset + (c.decrement() ? 1 : 0)] += sign * c.amount();
    }
  }

  private long[] sums(long replica, String key) {
    Map<String, long[]> byKey = sums.get(replica);
    long[] s = byKey == null ? null : byKey.get(key);
    return s == null ? new long[4] : s;
  }

  /** Every key any write touched. */
  TreeSet<String> keys() {
    return keys;
  }

  long acknowledged() {
    return acked;
  }

  long indeterminate() {
    return indeterminate;
  }

  long refused() {
    return refused;
  }

  /** A stored state counts more of some replica than it could have applied: an op counted twice. */
  String overCounted(String node, String key, PnCounter state) {
    if (key.startsWith(RetryingClients.KEY_PREFIX)) {
      return null; // checked by value (RetryingClients): failover moves a write between replicas
    }
    for (PnCounter.Entry e : state.entries()) {
      long[] s = sums(e.replica(), key);
      if (Long.compareUnsigned(e.p(), s[2]) > 0 || Long.compareUnsigned(e.n(), s[3]) > 0) {
        return "node " + node + " holds key '" + key + "' with replica " + Long.toHexString(e.replica())
            + " at +" + Long.toUnsignedString(e.p()) + "/-" + Long.toUnsignedString(e.n())
            + " but that replica can have applied only +" + s[2] + "/-" + s[3] + " (an operation counted twice)";
      }
    }
    return null;
  }

  /** At an acknowledgement: the node's durable state of the key must hold every acked op of the replica. */
  String notDurable(String node, String key, long replica, PnCounter durable) {
    if (key.startsWith(RetryingClients.KEY_PREFIX)) {
      return null;
    }
    long[] s = sums(replica, key);
    if (durable.p(replica) < s[0] || durable.n(replica) < s[1]) {
      return "node " + node + " acknowledged a write of '" + key + "' whose replica " + Long.toHexString(replica)
          + " has +" + s[0] + "/-" + s[1] + " acknowledged, but its store holds only +" + durable.p(replica) + "/-"
          + durable.n(replica) + " durably";
    }
    return null;
  }

  /**
   * Checks a converged state: every replica's entry holds all it acknowledged and at most what
   * it may have applied (exactly the acknowledged sum when none of its writes is indeterminate).
   */
  String inexact(String key, PnCounter state) {
    for (PnCounter.Entry e : state.entries()) {
      if (!sums.containsKey(e.replica())) {
        return "key '" + key + "' holds replica " + Long.toHexString(e.replica()) + ", which never wrote";
      }
    }
    for (Map.Entry<Long, Map<String, long[]>> r : sums.entrySet()) {
      long[] s = r.getValue().get(key);
      if (s == null) {
        continue;
      }
      long p = state.p(r.getKey());
      long n = state.n(r.getKey());
      if (p < s[0] || n < s[1]) {
        return "key '" + key + "' lacks acknowledged writes of replica " + Long.toHexString(r.getKey()) + ": holds +" + p
            + "/-" + n + ", acknowledged +" + s[0] + "/-" + s[1];
      }
      if (p > s[2] || n > s[3]) {
        return "key '" + key + "' counts replica " + Long.toHexString(r.getKey()) + " at +" + p + "/-" + n
            + ", more than it can have applied (+" + s[2] + "/-" + s[3] + ")";
      }
    }
    return null;
  }

  void quorumAcked(String dc, List<KeyState> states) {
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
