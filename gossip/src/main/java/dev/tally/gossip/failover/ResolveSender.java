package dev.tally.gossip.failover;

import dev.tally.peer.v1.ResolveRequestRequest;
import dev.tally.peer.v1.ResolveRequestResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Asks one node about a request id. The future fails when the node cannot be reached or does not
 * answer within {@code timeout}; it may complete on any thread.
 */
@FunctionalInterface
public interface ResolveSender {
  CompletableFuture<ResolveRequestResponse> resolve(String node, ResolveRequestRequest request, Duration timeout);
}
