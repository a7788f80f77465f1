package dev.tally.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-call settings that override the client's defaults. Immutable: every {@code with...} method
 * returns a new instance. {@link #defaults()} overrides nothing.
 *
 * <pre>{@code
 * client.get("likes:42", RequestOptions.defaults().withConsistency(Consistency.QUORUM));
 * }</pre>
 */
public final class RequestOptions {

  /** Longest request id the server accepts, in bytes of UTF-8. */
  public static final int MAX_REQUEST_ID_BYTES = 128;

  private static final RequestOptions DEFAULTS = new RequestOptions(null, null, null, List.of(), null);

  private final Consistency consistency;
  private final Duration deadline;
  private final String requestId;
  private final List<String> priorNodes;
  private final FailoverResolution failoverResolution;

  private RequestOptions(Consistency consistency, Duration deadline, String requestId,
      List<String> priorNodes, FailoverResolution failoverResolution) {
    this.consistency = consistency;
    this.deadline = deadline;
    this.requestId = requestId;
    this.priorNodes = priorNodes;
    this.failoverResolution = failoverResolution;
  }

  /** Options that override nothing: the call uses the client's defaults. */
  public static RequestOptions defaults() {
    return DEFAULTS;
  }

  /** Shorthand for {@code defaults().withConsistency(consistency)}. */
  public static RequestOptions consistency(Consistency consistency) {
    return DEFAULTS.withConsistency(consistency);
  }

  /** Shorthand for {@code defaults().withDeadline(deadline)}. */
  public static RequestOptions deadline(Duration deadline) {
    return DEFAULTS.withDeadline(deadline);
  }

  /** These options with the call's consistency set. */
  public RequestOptions withConsistency(Consistency consistency) {
    return new RequestOptions(
        Objects.requireNonNull(consistency, "consistency"), deadline, requestId, priorNodes, failoverResolution);
  }

  /**
   * These options with the call's overall deadline set: every attempt and every backoff between
   * attempts together fit inside it.
   *
   * @throws IllegalArgumentException when {@code deadline} is not positive
   */
  public RequestOptions withDeadline(Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, got " + deadline);
    }
    return new RequestOptions(consistency, deadline, requestId, priorNodes, failoverResolution);
  }

  /**
   * These options with the write's request id set, instead of a fresh random one. Use it to retry
   * a write later after a {@link WriteOutcomeUnknownException}: a node that already applied the id
   * (within its dedupe window, 10 minutes by default) returns the first result and applies nothing.
   * Reusing an id for a different write is refused by the node. Reads ignore it. A write with its
   * own request id is never coalesced with others.
   *
   * @throws IllegalArgumentException when {@code requestId} is empty or longer than {@value
   *     #MAX_REQUEST_ID_BYTES} bytes of UTF-8
   */
  public RequestOptions withRequestId(String requestId) {
    Objects.requireNonNull(requestId, "requestId");
    int bytes = requestId.getBytes(StandardCharsets.UTF_8).length;
    if (requestId.isEmpty() || bytes > MAX_REQUEST_ID_BYTES) {
      throw new IllegalArgumentException(
          "request_id must be 1.." + MAX_REQUEST_ID_BYTES + " bytes of UTF-8, got " + bytes);
    }
    return new RequestOptions(consistency, deadline, requestId, priorNodes, failoverResolution);
  }

  /**
   * These options with the nodes an earlier call with the same request id may have reached, for a
   * write retried by hand on another node: pass {@link WriteOutcomeUnknownException#priorNodes()}
   * (node names, or {@code "*"} for "any node of the cluster"). The node that gets the retry asks
   * them before applying, so the write counts once. The client adds the nodes its own attempts may
   * reach, and leaves out the node an attempt is sent to. Needs {@link #withRequestId}.
   *
   * @throws IllegalArgumentException when a name is blank
   */
  public RequestOptions withPriorNodes(List<String> priorNodes) {
    Objects.requireNonNull(priorNodes, "priorNodes");
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    for (String n : priorNodes) {
      Objects.requireNonNull(n, "priorNodes entry");
      if (n.isBlank()) {
        throw new IllegalArgumentException("priorNodes must not hold a blank name, got " + priorNodes);
      }
      unique.add(n.strip());
    }
    return new RequestOptions(consistency, deadline, requestId, List.copyOf(unique), failoverResolution);
  }

  /**
   * These options with what a node does when this write is retried on it and a prior node cannot
   * be asked in time ({@link FailoverResolution}). Default: the node's own setting.
   */
  public RequestOptions withFailoverResolution(FailoverResolution resolution) {
    return new RequestOptions(consistency, deadline, requestId, priorNodes,
        Objects.requireNonNull(resolution, "resolution"));
  }

  /** The call's consistency, if overridden. */
  public Optional<Consistency> consistency() {
    return Optional.ofNullable(consistency);
  }

  /** The call's overall deadline, if overridden. */
  public Optional<Duration> deadline() {
    return Optional.ofNullable(deadline);
  }

  /** The write's request id, if the caller supplied one. */
  public Optional<String> requestId() {
    return Optional.ofNullable(requestId);
  }

  /** The prior nodes the caller gave ({@link #withPriorNodes}); empty when none. */
  public List<String> priorNodes() {
    return priorNodes;
  }

  /** The failover resolution, if chosen. */
  public Optional<FailoverResolution> failoverResolution() {
    return Optional.ofNullable(failoverResolution);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RequestOptions other
        && Objects.equals(consistency, other.consistency)
        && Objects.equals(deadline, other.deadline)
        && Objects.equals(requestId, other.requestId)
        && priorNodes.equals(other.priorNodes)
        && failoverResolution == other.failoverResolution;
  }

  @Override
  public int hashCode() {
    return Objects.hash(consistency, deadline, requestId, priorNodes, failoverResolution);
  }

  @Override
  public String toString() {
    return "RequestOptions{consistency=" + consistency + ", deadline=" + deadline
        + ", requestId=" + requestId + ", priorNodes=" + priorNodes
        + ", failoverResolution=" + failoverResolution + "}";
  }
}
