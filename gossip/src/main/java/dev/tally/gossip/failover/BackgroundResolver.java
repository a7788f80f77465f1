package dev.tally.gossip.failover;

import dev.tally.gossip.engine.LocalWrite;
import dev.tally.gossip.failover.FailoverMetrics.Outcome;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.gossip.write.DedupeRecord;
import dev.tally.gossip.write.GroupCommitWriter;
import dev.tally.gossip.write.WriteRequest;
import dev.tally.gossip.write.WriteRole;
import dev.tally.gossip.write.WriteStore;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.ResolveRequestRequest;
import dev.tally.peer.v1.ResolveRequestResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves, in the background, the records of writes this node applied without an answer from
 * every prior node: asks the nodes each record still waits for until they answer, and settles the
 * record ({@link WriteRole.Settle}) with what they said:
 *
 * <ul>
 *   <li>fenced, mismatched, or applied without counting it there: that node is resolved;
 *   <li>applied and counted there: one of the two undoes its application. This node yields
 *       (compensates) unless the other still waits for this node too and has the greater name, in
 *       which case the other yields when it asks (see the package comment for why exactly one
 *       does);
 *   <li>unreachable: asked again later, with backoff ({@code retryMin} doubling to {@code retryMax});
 *   <li>no longer a member, still silent half a dedupe window after the write, or answering FENCED
 *       without being able to prove it ({@link RetryHorizon}): given up as unresolvable (counted in
 *       {@code tally_failover_resolutions_total{outcome="pending_unresolvable"}}; this node's
 *       application stands, so the count may be over by the amount).
 * </ul>
 *
 * The records are the store's: after a restart {@link #start} finds them again, and the settle
 * step rewrites a record atomically with its compensation, so nothing is undone twice.
 *
 * <p>Threads: all state is the replica thread's ({@link Scheduler}); {@link #track} and
 * {@link #pending} may be called from any thread.
 */
public final class BackgroundResolver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BackgroundResolver.class);

  private final NodeRef self;
  private final GroupCommitWriter writer;
  private final WriteStore store;
  private final ResolveSender sender;
  private final Scheduler scheduler;
  private final Clock clock;
  private final Predicate<String> isMember;
  private final FailoverMetrics metrics;
  private final Duration askTimeout;
  private final Duration retryMin;
  private final Duration retryMax;
  private final RetryHorizon horizon;

  // replica thread only
  private final Map<String, Tracked> active = new HashMap<>();
  /** Every id tracked or about to be: counted at once, so a status read right after an answer sees it. */
  private final Set<String> pendingIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private static final class Tracked {
    Duration backoff;
    Scheduler.Cancellable task;
    boolean busy;
  }

  public BackgroundResolver(NodeRef self, GroupCommitWriter writer, WriteStore store, ResolveSender sender,
      Scheduler scheduler, Clock clock, Predicate<String> isMember, FailoverMetrics metrics, Duration askTimeout,
      Duration retryMin, Duration retryMax, RetryHorizon horizon) {
    this.horizon = horizon;
    this.self = self;
    this.writer = writer;
    this.store = store;
    this.sender = sender;
    this.scheduler = scheduler;
    this.clock = clock;
    this.isMember = isMember;
    this.metrics = metrics;
    this.askTimeout = askTimeout;
    this.retryMin = retryMin;
    this.retryMax = retryMax;
  }

  /** Picks up every record still waiting in the store (after a restart). Call once writes are accepted. */
  public void start() {
    execute(() -> {
      List<DedupeRecord> waiting;
      try {
        waiting = store.unresolvedDedupe();
      } catch (RuntimeException e) {
        log.error("could not read the writes still waiting for prior nodes; they are resolved after the next restart", e);
        return;
      }
      if (!waiting.isEmpty()) {
        log.info("{} retried writes still wait for prior nodes; resolving them in the background", waiting.size());
      }
      for (DedupeRecord r : waiting) {
        trackOnThread(r.requestId());
      }
    });
  }

  /** Any thread: resolves the record of {@code requestId} (written with unresolved nodes). */
  public void track(String requestId) {
    pendingIds.add(requestId);
    execute(() -> trackOnThread(requestId));
  }

  /** Records being resolved now ({@code tally_failover_pending}). Any thread. */
  public int pending() {
    return pendingIds.size();
  }

  private void trackOnThread(String id) {
    if (closed || active.containsKey(id)) {
      return;
    }
    pendingIds.add(id);
    Tracked t = new Tracked();
    t.backoff = retryMin;
    active.put(id, t);
    attempt(id);
  }

  private void later(String id, Tracked t) {
    if (closed) {
      return;
    }
    Duration wait = t.backoff;
    t.backoff = t.backoff.multipliedBy(2).compareTo(retryMax) > 0 ? retryMax : t.backoff.multipliedBy(2);
    try {
      t.task = scheduler.schedule(wait, () -> attempt(id));
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  private void done(String id) {
    active.remove(id);
    pendingIds.remove(id);
  }

  private void attempt(String id) {
    Tracked t = active.get(id);
    if (t == null || t.busy || closed) {
      return;
    }
    t.task = null;
    Optional<DedupeRecord> found;
    try {
      found = store.findDedupe(id);
    } catch (RuntimeException e) {
      log.warn("reading the record of request id '{}' failed: {}", id, e.toString());
      later(id, t);
      return;
    }
    if (found.isEmpty() || found.get().unresolved().isEmpty()) {
      done(id);
      return;
    }
    DedupeRecord r = found.get();
    t.busy = true;
    ResolveRequestRequest query = PriorNodeQueries.query(self, RequestIdentities.of(r), r.requestChanges());
    List<String> gone = new ArrayList<>();
    List<String> ask = new ArrayList<>();
    for (String node : r.unresolved()) {
      (isMember.test(node) ? ask : gone).add(node);
    }
    PriorNodeQueries.askAll(sender, ask, query, askTimeout).whenComplete((answers, e) ->
        execute(() -> {
          t.busy = false;
          decide(r, t, answers == null ? Map.of() : answers, gone);
        }));
  }

  private void decide(DedupeRecord r, Tracked t, Map<String, ResolveRequestResponse> answers, List<String> gone) {
    List<String> still = new ArrayList<>();
    boolean unresolvable = !gone.isEmpty();
    boolean yield = false;
    String yieldTo = null;
    for (String node : r.unresolved()) {
      if (gone.contains(node)) {
        log.warn("request id '{}': prior node {} is no longer a member; it cannot be asked, this node's application"
            + " stands", r.requestId(), node);
        continue;
      }
      ResolveRequestResponse a = answers.get(node);
      if (a == null) {
        if (clock.currentTimeMillis() - r.appliedAtMillis() >= horizon.trustMillis()) {
          // Past the horizon an answer could no longer be trusted: waiting longer cannot settle it.
          log.warn("request id '{}': prior node {} did not answer within {} ms of the write (half the dedupe"
              + " window less a margin); this node's application stands", r.requestId(), node, horizon.trustMillis());
          unresolvable = true;
          continue;
        }
        still.add(node);
        continue;
      }
      if (a.getOutcome() == ResolveRequestResponse.Outcome.FENCED
          && !horizon.trusts(a, r.appliedAtMillis(), clock.currentTimeMillis())) {
        log.warn("request id '{}': {} answered that it had not applied it, but its records reach back only to {}"
            + " or the write is older than half the dedupe window; this node's application stands", r.requestId(),
            node, a.getRemembersSinceMs());
        unresolvable = true;
        continue;
      }
      String via = a.getNode();
      if (a.getOutcome() == ResolveRequestResponse.Outcome.APPLIED && !a.getCounted() && !via.isEmpty()
          && !via.equals(node) && !via.equals(self.getName()) && !r.unresolved().contains(via) && !still.contains(via)
          && isMember.test(via)) {
        // It answered from another node's application, which the client did not name to this node: ask that one.
        still.add(via);
      }
      if (a.getOutcome() == ResolveRequestResponse.Outcome.APPLIED && a.getCounted()) {
        boolean otherWaitsForMe = a.getUnresolvedList().contains(self.getName());
        if (!otherWaitsForMe || node.compareTo(self.getName()) < 0) {
          yield = true;
          yieldTo = node;
        }
      }
    }
    Outcome outcome;
    if (yield) {
      log.info("request id '{}' counts on {}; undoing this node's application of it", r.requestId(), yieldTo);
      still = List.of();
      outcome = Outcome.PENDING_COMPENSATED;
    } else if (still.isEmpty()) {
      outcome = unresolvable ? Outcome.PENDING_UNRESOLVABLE : Outcome.PENDING_KEPT;
    } else if (still.equals(r.unresolved())) {
      later(r.requestId(), t);
      return;
    } else {
      outcome = null; // progress, not an end
    }
    settle(r, still, yield, outcome);
  }

  private void settle(DedupeRecord r, List<String> still, boolean compensate, Outcome outcome) {
    String id = r.requestId();
    Tracked t = active.get(id);
    if (t == null) {
      return;
    }
    t.busy = true;
    WriteRequest step = new WriteRequest(r.kind(), new LocalWrite(r.requestChanges()), id, r.batchFingerprint(),
        new WriteRole.Settle(r, still, compensate));
    writer.submit(step).whenComplete((o, error) -> execute(() -> {
      t.busy = false;
      if (error != null) {
        log.warn("settling request id '{}' failed (retrying): {}", id, error.toString());
        later(id, t);
        return;
      }
      if (compensate) {
        metrics.compensated();
      }
      if (outcome != null) {
        metrics.resolved(outcome);
      }
      if (outcome == Outcome.PENDING_UNRESOLVABLE) {
        metrics.gaveUp(id);
      }
      if (still.isEmpty()) {
        done(id);
      } else {
        later(id, t);
      }
    }));
  }

  private void execute(Runnable task) {
    try {
      scheduler.execute(task);
    } catch (RejectedExecutionException e) {
      // closing: the records stay in the store and are resolved after the next start
    }
  }

  @Override
  public void close() {
    closed = true;
    execute(() -> {
      for (Tracked t : active.values()) {
        if (t.task != null) {
          t.task.cancel();
        }
      }
      active.clear();
      pendingIds.clear();
    });
  }
}
