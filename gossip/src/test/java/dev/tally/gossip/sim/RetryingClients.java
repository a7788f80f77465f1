package dev.tally.gossip.sim;

import dev.tally.gossip.crdt.CounterOverflowException;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.failover.FailoverCoordinator;
import dev.tally.gossip.write.WriteException;
import dev.tally.gossip.write.WriteRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;

/**
 * Clients that fail over (issue 12): each write carries a request id and is retried until
 * acknowledged, on another node whenever an attempt times out, is refused, or its answer is lost,
 * with {@code prior_nodes} naming every node an earlier attempt went to (or {@code *}). Requests
 * and answers travel with delays (some long, so an original attempt arrives after its retry was
 * resolved elsewhere), answers are lost, and the nemesis crashes, partitions and wipes nodes
 * meanwhile. Their keys ({@link #KEY_PREFIX}) are checked by value, not per replica: a node that
 * applies a retry, or undoes one, changes its own entry, which the per-replica {@link Ledger}
 * cannot attribute.
 *
 * <p>The check, after heal and convergence (Maelstrom's pn-counter rule with retries): each key's
 * value is the sum of its writes, each request id counted exactly once. Exceptions, each counted
 * in 0..2 (a documented limit, see docs/api.md): a write whose node lost its data dir (wiped or
 * rolled back) while the write could still be retried or resolved there, and a write a node gave
 * up resolving. A write whose client stopped retrying at half the dedupe window counts 0 or 1.
 */
final class RetryingClients {
  static final String KEY_PREFIX = "fo-";
  /** The longest a request or answer takes between a client and a node (a slow one). */
  static final long MAX_DELIVERY_MILLIS = 1500;
  private static final long MS = 1_000_000L;

  /** One client write and its attempts. */
  static final class Op {
    final long id;
    final String requestId;
    final List<CounterChange> changes;
    final boolean anyNode;
    final boolean waitMode;
    final long firstAttemptAt;
    final Set<String> tried = new LinkedHashSet<>();
    int attempts;
    boolean acked;
    boolean gaveUp;
    /** May be counted 0, 1 or 2 times (see the class comment). */
    boolean uncertain;

    Op(long id, List<CounterChange> changes, boolean anyNode, boolean waitMode, long firstAttemptAt) {
      this.id = id;
      this.requestId = "f-" + id;
      this.changes = changes;
      this.anyNode = anyNode;
      this.waitMode = waitMode;
      this.firstAttemptAt = firstAttemptAt;
    }

    @Override
    public String toString() {
      return "failover op " + requestId + " " + changes + " tried " + tried;
    }
  }

  private final SimWorld world;
  private final Map<String, SimNode> nodes;
  private final SplittableRandom random;
  private final SimParams params;
  private final List<Op> ops = new ArrayList<>();
  private final List<String> keys = new ArrayList<>();
  private final Set<String> gaveUpIds = new HashSet<>();
  private int open;
  private boolean newOps = true;
  int attemptsLost;
  int attemptsRetried;
  int fenced;

  RetryingClients(SimWorld world, Map<String, SimNode> nodes, SplittableRandom random, SimParams params) {
    this.world = world;
    this.nodes = nodes;
    this.random = random;
    this.params = params;
    int n = 1 + random.nextInt(6);
    for (int i = 0; i < n; i++) {
      keys.add(KEY_PREFIX + i);
    }
  }

  /** Half the dedupe window: the SDK never retries longer (see RetryHorizon). */
  private long retryLimitNanos() {
    return params.dedupeWindowMillis() / 2 * MS;
  }

  void start() {
    scheduleNext();
  }

  /** No new writes from now on (the liveness phase); retries go on. */
  void stopNewWrites() {
    newOps = false;
  }

  /** Writes not yet acknowledged nor given up. */
  int open() {
    return open;
  }

  int ops() {
    return ops.size();
  }

  /** A node gave up resolving a request id in the background. */
  void nodeGaveUp(String requestId) {
    gaveUpIds.add(requestId);
  }

  private void scheduleNext() {
    long gap = 1 + (long) (-Math.log(1 - random.nextDouble()) * params.meanOpGapMillis() * 3 * MS);
    world.schedule(null, gap, () -> {
      if (!newOps) {
        return;
      }
      newOp();
      scheduleNext();
    });
  }

  private void newOp() {
    List<CounterChange> changes = new ArrayList<>();
    int n = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
    for (int i = 0; i < n; i++) {
      changes.add(new CounterChange(keys.get(random.nextInt(keys.size())), 1 + random.nextInt(9), random.nextInt(4) == 0));
    }
    Op op = new Op(ops.size() + 1, changes, random.nextInt(5) == 0, random.nextInt(6) == 0, world.now());
    ops.add(op);
    open++;
    attempt(op, pickNode(null));
  }

  private SimNode pickNode(SimNode avoid) {
    List<SimNode> all = new ArrayList<>(nodes.values());
    if (avoid != null && all.size() > 1) {
      all.remove(avoid);
    }
    return all.get(random.nextInt(all.size()));
  }

  private WriteRequest request(Op op) {
    List<CounterChange> c = op.changes;
    return c.size() > 1 ? WriteRequest.batch(c, op.requestId)
        : c.get(0).decrement() ? WriteRequest.decrement(c.get(0).key(), c.get(0).amount(), op.requestId)
        : WriteRequest.increment(c.get(0).key(), c.get(0).amount(), op.requestId);
  }

  /** One attempt: the request travels to the node, the client waits for the answer up to its timeout. */
  private void attempt(Op op, SimNode node) {
    int attempt = ++op.attempts;
    List<String> prior = op.tried.isEmpty() ? List.of() : op.anyNode ? List.of(FailoverCoordinator.ANY_NODE)
        : new ArrayList<>(op.tried);
    boolean slow = random.nextInt(8) == 0;
    long delay = slow ? (100 + random.nextInt((int) MAX_DELIVERY_MILLIS - 100)) * MS : (long) (random.nextDouble() * 2 * MS);
    long timeout = (200 + random.nextInt(800)) * MS;
    world.trace("client", () -> "attempt " + attempt + " of " + op + " -> " + node.name + " with prior " + prior
        + (slow ? " (slow)" : ""));
    // Sent: from now on it may reach the node and be applied there, so later attempts name it.
    op.tried.add(node.name);
    world.schedule(null, delay, () -> deliver(op, attempt, node, prior));
    world.schedule(null, timeout, () -> {
      if (!op.acked && !op.gaveUp && op.attempts == attempt) {
        attemptsLost++;
        retry(op, node, "timed out");
      }
    });
  }

  private void deliver(Op op, int attempt, SimNode node, List<String> prior) {
    Incarnation inc = node.current;
    if (inc == null) {
      // Connection refused: this attempt reached nothing; the timeout moves on.
      return;
    }
    List<String> targets = inc.failover.targets(prior);
    world.schedule(inc, 0, () -> inc.failover.submit(request(op), targets, op.waitMode, Duration.ofMillis(params.rpcDeadlineMillis()))
        .whenComplete((outcome, error) -> {
          boolean lost = random.nextInt(6) == 0;
          long back = (long) (random.nextDouble() * 2 * MS);
          world.schedule(null, back, () -> {
            if (op.acked || op.gaveUp || op.attempts != attempt) {
              return; // the client moved on
            }
            if (lost) {
              attemptsLost++;
              world.trace("client", () -> "answer to attempt " + attempt + " of " + op + " lost");
              return; // the timeout retries
            }
            if (error == null) {
              op.acked = true;
              open--;
              world.trace("client", () -> op + " acknowledged by " + node.name
                  + (outcome.deduplicated() ? " (deduplicated)" : "") + " after " + attempt + " attempts");
              return;
            }
            Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (!(e instanceof WriteException w)) {
              world.fail(node.name + " failed " + op + " with " + e);
              return;
            }
            switch (w.reason()) {
              case REQUEST_ID_REUSED, OVERFLOW -> world.fail(node.name + " failed " + op + " with " + w.reason() + ": "
                  + w.getMessage());
              case FENCED -> {
                fenced++;
                retry(op, node, "fenced");
              }
              default -> retry(op, node, w.reason().toString());
            }
          });
        }));
  }

  private void retry(Op op, SimNode last, String why) {
    if (world.now() - op.firstAttemptAt >= retryLimitNanos()) {
      // Half the dedupe window has passed: a retry could outlive the records. The outcome stays unknown.
      op.gaveUp = true;
      open--;
      world.trace("client", () -> op + " given up (" + why + ")");
      return;
    }
    attemptsRetried++;
    long backoff = (10 + random.nextInt(200)) * MS;
    world.schedule(null, backoff, () -> {
      if (op.acked || op.gaveUp) {
        return;
      }
      if (world.now() - op.firstAttemptAt >= retryLimitNanos()) {
        // As the SDK: no attempt is sent later than half the window after the first.
        op.gaveUp = true;
        open--;
        return;
      }
      attempt(op, random.nextInt(4) == 0 ? last : pickNode(last));
    });
  }

  /** {@code victim} lost its data dir (wiped, or rolled back to a backup): what it knew of these writes is gone. */
  void lostDir(SimNode victim, Set<String> unresolvedIds) {
    for (Op op : ops) {
      if (op.tried.contains(victim.name) && (!op.acked || unresolvedIds.contains(op.requestId))) {
        op.uncertain = true;
      }
    }
  }

  /** Every node's pending resolutions, as the stores hold them (a record waiting for prior nodes). */
  static Set<String> unresolvedEverywhere(Map<String, SimNode> nodes) {
    Set<String> ids = new HashSet<>();
    for (SimNode n : nodes.values()) {
      n.store.unresolvedDedupe().forEach(r -> ids.add(r.requestId()));
    }
    return ids;
  }

  /** Null when every failover key holds what its writes add up to; otherwise what is wrong. */
  String inexact(TreeMap<String, PnCounter> converged) {
    for (String key : keys) {
      long exact = 0;
      long min = 0;
      long max = 0;
      for (Op op : ops) {
        for (CounterChange c : op.changes) {
          if (!c.key().equals(key)) {
            continue;
          }
          long a = c.decrement() ? -c.amount() : c.amount();
          boolean twice = op.uncertain || gaveUpIds.contains(op.requestId);
          if (twice) {
            min += Math.min(0, 2 * a);
            max += Math.max(0, 2 * a);
          } else if (op.gaveUp) {
            min += Math.min(0, a);
            max += Math.max(0, a);
          } else {
            exact += a;
          }
        }
      }
      long value;
      try {
        value = converged.getOrDefault(key, PnCounter.EMPTY).value();
      } catch (CounterOverflowException e) {
        return "key '" + key + "' has no 64-bit value";
      }
      if (value < exact + min || value > exact + max) {
        return "failover key '" + key + "' is " + value + " but its writes add up to " + exact
            + (min == max ? "" : " (" + (exact + min) + ".." + (exact + max) + " with writes of unknown outcome)")
            + ": a retry counted twice or lost";
      }
    }
    return null;
  }

  /** Writes whose count may be 0..2 (lost dirs, given up resolutions). */
  int uncertain() {
    int n = 0;
    for (Op op : ops) {
      if (op.uncertain || gaveUpIds.contains(op.requestId)) {
        n++;
      }
    }
    return n;
  }
}
