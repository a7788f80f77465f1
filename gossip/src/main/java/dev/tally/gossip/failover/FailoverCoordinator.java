package dev.tally.gossip.failover;

import dev.tally.gossip.failover.FailoverMetrics.Outcome;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.write.DedupeRecord.AppliedValue;
import dev.tally.gossip.write.GroupCommitWriter;
import dev.tally.gossip.write.WriteException;
import dev.tally.gossip.write.WriteException.Reason;
import dev.tally.gossip.write.WriteOutcome;
import dev.tally.gossip.write.WriteRequest;
import dev.tally.gossip.write.WriteRole;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.ResolveRequestRequest;
import dev.tally.peer.v1.ResolveRequestResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving node's side of a retried write: resolves its request id with the prior nodes the
 * client named before anything is applied (see the package comment for the protocol).
 *
 * <p>A write without prior nodes goes straight to the {@link GroupCommitWriter}: the normal path
 * does no extra work. With prior nodes: {@link GroupCommitWriter#beginResolution} (this node's own
 * record answers first, and attempts of the id arriving meanwhile wait), one {@code
 * ResolveRequest} to each prior node in parallel, then one final step on the pipeline. A fence
 * answer that names a handler the client did not list adds one more round, to that handler: it
 * may have applied the request.
 *
 * <p>Threads: {@link #submit} runs on any thread and never blocks; the resolution continues on
 * whatever thread the transport completes on, and every step it takes (the writer, the merge) is
 * safe from any thread.
 */
public final class FailoverCoordinator {
  private static final Logger log = LoggerFactory.getLogger(FailoverCoordinator.class);

  /** The entry of prior_nodes that stands for every other member of the cluster. */
  public static final String ANY_NODE = "*";
  /** Most prior_nodes entries a request may carry. */
  public static final int MAX_PRIOR_NODES = 64;

  private final NodeRef self;
  private final GroupCommitWriter writer;
  private final ResolveSender sender;
  private final Supplier<Collection<String>> peerNames;
  private final Function<DeltaBatch, CompletableFuture<?>> merge;
  private final BackgroundResolver background;
  private final FailoverMetrics metrics;
  private final Clock clock;
  private final RetryHorizon horizon;

  /**
   * @param peerNames every other member ever seen (what {@code *} stands for, and what a named
   *     prior node must be)
   * @param merge merges a prior node's states into this replica (the engine's delta merge)
   */
  public FailoverCoordinator(NodeRef self, GroupCommitWriter writer, ResolveSender sender,
      Supplier<Collection<String>> peerNames, Function<DeltaBatch, CompletableFuture<?>> merge,
      BackgroundResolver background, FailoverMetrics metrics, Clock clock, RetryHorizon horizon) {
    this.clock = clock;
    this.horizon = horizon;
    this.self = self;
    this.writer = writer;
    this.sender = sender;
    this.peerNames = peerNames;
    this.merge = merge;
    this.background = background;
    this.metrics = metrics;
  }

  /**
   * The prior nodes to ask: {@code *} expanded to every other member, this node left out (its own
   * record is checked anyway), duplicates dropped.
   *
   * @throws IllegalArgumentException naming an entry that is not a member of the cluster
   */
  public List<String> targets(List<String> priorNodes) {
    if (priorNodes.size() > MAX_PRIOR_NODES) {
      throw new IllegalArgumentException("prior_nodes has " + priorNodes.size() + " entries; at most "
          + MAX_PRIOR_NODES);
    }
    Collection<String> peers = peerNames.get();
    Set<String> out = new LinkedHashSet<>();
    for (int i = 0; i < priorNodes.size(); i++) {
      String name = priorNodes.get(i);
      if (name.equals(ANY_NODE)) {
        out.addAll(peers);
      } else if (name.equals(self.getName())) {
        continue;
      } else if (peers.contains(name)) {
        out.add(name);
      } else {
        throw new IllegalArgumentException("prior_nodes[" + i + "] '" + shorten(name) + "' is not a member of this"
            + " cluster (members: " + self.getName() + (peers.isEmpty() ? "" : ", " + String.join(", ", peers))
            + "); name the nodes earlier attempts went to, or \"*\" for any node");
      }
    }
    out.remove(self.getName());
    return List.copyOf(out);
  }

  /**
   * Applies a write whose earlier attempts may have reached {@code targets} (from {@link
   * #targets}), counting it once in the cluster.
   *
   * @param wait refuse with {@link Reason#NOT_CONFIRMED} instead of applying when a prior node
   *     cannot be asked
   * @param askTimeout how long to wait for the prior nodes' answers
   */
  public CompletableFuture<WriteOutcome> submit(WriteRequest request, List<String> targets, boolean wait,
      Duration askTimeout) {
    if (!request.hasRequestId() || targets.isEmpty()) {
      return writer.submit(request);
    }
    return writer.beginResolution(request).thenCompose(begin -> {
      if (!begin.started()) {
        return begin.outcome();
      }
      return resolve(request, targets, wait, askTimeout, begin.token());
    });
  }

  private CompletableFuture<WriteOutcome> resolve(WriteRequest request, List<String> targets, boolean wait,
      Duration askTimeout, Object token) {
    ResolveRequestRequest query = PriorNodeQueries.query(self, RequestIdentities.of(request), request.write().changes());
    Map<String, ResolveRequestResponse> answers = new LinkedHashMap<>();
    return ask(targets, query, askTimeout, answers).thenCompose(v -> {
      // A fence names the node that handles the request: if the client did not list it, ask it too.
      List<String> handlers = new ArrayList<>();
      for (ResolveRequestResponse a : answers.values()) {
        if (a != null && a.getOutcome() == ResolveRequestResponse.Outcome.FENCED && !a.getNode().isEmpty()
            && !a.getNode().equals(self.getName()) && !answers.containsKey(a.getNode())
            && peerNames.get().contains(a.getNode()) && !handlers.contains(a.getNode())) {
          handlers.add(a.getNode());
        }
      }
      return handlers.isEmpty() ? CompletableFuture.completedFuture(null) : ask(handlers, query, askTimeout, answers);
    }).thenCompose(v -> decide(request, answers, wait, token));
  }

  /** Asks every node in parallel and adds the answers (null for a node that could not be asked). */
  private CompletableFuture<Void> ask(List<String> nodes, ResolveRequestRequest query, Duration timeout,
      Map<String, ResolveRequestResponse> answers) {
    return PriorNodeQueries.askAll(sender, nodes, query, timeout).thenAccept(answers::putAll);
  }

  private CompletableFuture<WriteOutcome> decide(WriteRequest request, Map<String, ResolveRequestResponse> answers,
      boolean wait, Object token) {
    String id = request.requestId();
    List<String> unreachable = new ArrayList<>();
    String appliedBy = null;
    ResolveRequestResponse applied = null;
    synchronized (answers) {
      for (Map.Entry<String, ResolveRequestResponse> e : answers.entrySet()) {
        ResolveRequestResponse a = e.getValue();
        if (a == null) {
          unreachable.add(e.getKey());
          continue;
        }
        switch (a.getOutcome()) {
          case FENCED:
            if (!horizon.trusts(a, clock.currentTimeMillis(), clock.currentTimeMillis())) {
              // It lost its records since (a new dir, a rolled-back one): its "not applied" proves nothing.
              log.warn("{} answered that it had not applied request id '{}', but its records only reach back to {}"
                  + " (a new or restored data dir): treating it as not reachable", e.getKey(), id, a.getRemembersSinceMs());
              unreachable.add(e.getKey());
            }
            break;
          case MISMATCH:
            metrics.resolved(Outcome.MISMATCH);
            return fail(id, token, new WriteException(Reason.REQUEST_ID_REUSED, "request_id '" + id
                + "' was already used on node " + e.getKey() + " for a different request; this call is "
                + request.describe() + ", so nothing was applied; give each new request its own request_id ("
                + e.getKey() + " said: " + a.getDescribe() + ")"));
          case APPLIED:
            // A counted application is the one whose values this answer should carry, if several.
            if (applied == null || (a.getCounted() && !applied.getCounted())) {
              applied = a;
              appliedBy = e.getKey();
            }
            break;
          default:
            break;
        }
      }
    }
    if (applied != null) {
      return answerFromElsewhere(request, applied, appliedBy, token);
    }
    if (!unreachable.isEmpty() && wait) {
      metrics.resolved(Outcome.REFUSED);
      return fail(id, token, new WriteException(Reason.NOT_CONFIRMED, "cannot confirm that "
          + String.join(", ", unreachable) + (unreachable.size() == 1 ? " did" : " did not all") + " not apply request id '"
          + id + "' (not reachable in time); nothing was applied: retry later with the same request_id and prior_nodes"
          + " (failover_resolution is WAIT)"));
    }
    metrics.resolved(unreachable.isEmpty() ? Outcome.FENCED : Outcome.PENDING);
    if (!unreachable.isEmpty()) {
      log.info("applying request id '{}' without an answer from {}; it stays pending until they answer", id,
          unreachable);
    }
    CompletableFuture<WriteOutcome> done = submitFinal(request.withRole(new WriteRole.ApplyAfterResolution(unreachable)), token);
    if (!unreachable.isEmpty()) {
      done = done.thenApply(outcome -> {
        background.track(id);
        return outcome;
      });
    }
    return done;
  }

  /** A prior node has the request: merge its states here, then record its values (nothing applied). */
  private CompletableFuture<WriteOutcome> answerFromElsewhere(WriteRequest request, ResolveRequestResponse a,
      String askedNode, Object token) {
    metrics.resolved(Outcome.APPLIED_ELSEWHERE);
    List<AppliedValue> values = RequestIdentities.fromMessages(a.getValuesList());
    String node = a.getNode().isEmpty() ? askedNode : a.getNode();
    CompletableFuture<?> merged;
    if (a.getStatesCount() == 0) {
      merged = CompletableFuture.completedFuture(null);
    } else {
      try {
        // The responder's own ref; one that predates it sends none, and then its states come in as
        // from this node's dc (the dc only steers relaying; the merge itself is the same).
        NodeRef from = a.hasFrom() && !a.getFrom().getDc().isEmpty() ? a.getFrom()
            : NodeRef.newBuilder().setName(askedNode).setDc(self.getDc()).build();
        merged = merge.apply(DeltaBatch.newBuilder().setFrom(from).addAllStates(a.getStatesList()).build());
      } catch (RuntimeException e) {
        merged = CompletableFuture.failedFuture(e);
      }
    }
    return merged.handle((ok, error) -> {
      if (error != null) {
        // The answer stands without it; replication brings the states here all the same.
        log.warn("merging {}'s states for request id '{}' failed: {}", askedNode, request.requestId(), error.toString());
      }
      return null;
    }).thenCompose(v -> submitFinal(request.withRole(new WriteRole.AppliedElsewhere(node, values)), token))
        .thenApply(outcome -> new WriteOutcome(outcome.values(), true));
  }

  /**
   * The resolution's final step. A write refused before it was queued (shedding, shutdown) never
   * ends the resolution in the pipeline, so it is ended here; the token makes that a no-op for
   * any later resolution of the same id.
   */
  private CompletableFuture<WriteOutcome> submitFinal(WriteRequest finalStep, Object token) {
    CompletableFuture<WriteOutcome> f = writer.submit(finalStep);
    if (f.isCompletedExceptionally()) {
      f.exceptionally(error -> {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        writer.endResolution(finalStep.requestId(), token, e instanceof WriteException w ? w
            : new WriteException(Reason.STORAGE_FAILED, String.valueOf(e.getMessage())));
        return null;
      });
    }
    return f;
  }

  private CompletableFuture<WriteOutcome> fail(String id, Object token, WriteException failure) {
    writer.endResolution(id, token, failure);
    return CompletableFuture.failedFuture(failure);
  }

  private static String shorten(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }
}
