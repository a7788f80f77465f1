package dev.tally.client;

import io.grpc.Status;
import java.util.List;
import java.util.Objects;

/**
 * One retry of a call, as a {@link RetryListener} sees it: which attempt failed, how, and where the
 * next attempt goes. Immutable.
 *
 * @param method the RPC's name ({@code "Increment"}, {@code "Get"}...)
 * @param attempt the number of the attempt about to start (2 for the first retry)
 * @param failedEndpoint {@code host:port} of the failed attempt, or null when it found no endpoint
 * @param failedNode the failed endpoint's node name, from its {@code tally-node} header; null while
 *     unknown
 * @param code the failed attempt's status code
 * @param description the failed attempt's status description (may be empty)
 * @param endpoint {@code host:port} the next attempt goes to
 * @param requestId the write's request id (the same in every attempt); null for a read
 * @param priorNodes the prior_nodes the next attempt carries (names, or {@code "*"} for a node whose
 *     name is unknown); empty for a read or when no other node may have been reached
 */
public record RetryEvent(
    String method,
    int attempt,
    String failedEndpoint,
    String failedNode,
    Status.Code code,
    String description,
    String endpoint,
    String requestId,
    List<String> priorNodes) {

  /** Checks the required components and copies the list. */
  public RetryEvent {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(endpoint, "endpoint");
    priorNodes = List.copyOf(priorNodes);
  }

  /** Whether the next attempt goes to another endpoint than the failed one. */
  public boolean failover() {
    return failedEndpoint != null && !failedEndpoint.equals(endpoint);
  }
}
