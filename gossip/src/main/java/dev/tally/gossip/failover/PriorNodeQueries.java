package dev.tally.gossip.failover;

import dev.tally.gossip.engine.CounterChange;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.RequestIdentity;
import dev.tally.peer.v1.ResolveRequestRequest;
import dev.tally.peer.v1.ResolveRequestResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asking prior nodes about a request id, for the receiving node ({@link FailoverCoordinator}) and
 * the background ({@link BackgroundResolver}) alike: the question, and one {@code ResolveRequest}
 * to each node in parallel.
 */
final class PriorNodeQueries {
  private static final Logger log = LoggerFactory.getLogger(PriorNodeQueries.class);

  private PriorNodeQueries() {}

  /** The question about a request: its identity, and the keys whose states an APPLIED answer carries. */
  static ResolveRequestRequest query(NodeRef self, RequestIdentity request, List<CounterChange> changes) {
    Set<String> keys = new LinkedHashSet<>();
    for (CounterChange c : changes) {
      keys.add(c.key());
    }
    return ResolveRequestRequest.newBuilder().setFrom(self).setRequest(request).addAllKeys(keys).build();
  }

  /**
   * Asks every node in parallel. The future completes (on any thread) once all have answered or
   * failed, with each node's answer in the order asked, or null for a node that could not be asked in time.
   */
  static CompletableFuture<Map<String, ResolveRequestResponse>> askAll(ResolveSender sender, Collection<String> nodes,
      ResolveRequestRequest query, Duration timeout) {
    Map<String, ResolveRequestResponse> answers = new HashMap<>();
    List<CompletableFuture<Void>> calls = new ArrayList<>(nodes.size());
    for (String node : nodes) {
      CompletableFuture<ResolveRequestResponse> call;
      try {
        call = sender.resolve(node, query, timeout);
      } catch (RuntimeException e) {
        call = CompletableFuture.failedFuture(e);
      }
      calls.add(call.handle((answer, error) -> {
        if (error != null) {
          log.debug("resolving request id '{}' with {} failed: {}", query.getRequest().getRequestId(), node,
              error.toString());
        }
        synchronized (answers) {
          answers.put(node, error == null ? answer : null);
        }
        return null;
      }));
    }
    return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
      // In the order asked, whatever order the answers came in.
      Map<String, ResolveRequestResponse> inOrder = new LinkedHashMap<>();
      synchronized (answers) {
        for (String node : nodes) {
          inOrder.put(node, answers.get(node));
        }
      }
      return inOrder;
    });
  }
}
