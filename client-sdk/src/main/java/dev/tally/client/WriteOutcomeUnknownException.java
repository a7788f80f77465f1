package dev.tally.client;

import io.grpc.Status;
import java.util.List;
import java.util.Optional;

/**
 * A write may or may not have been applied: at least one attempt reached a node and then failed
 * without a definite answer (its response was lost, it timed out, or a quorum write could not
 * reach a majority in time though it was applied locally), and no later attempt settled it.
 *
 * <p>Retrying with the same request id is safe: a node that applied the id within its dedupe
 * window (10 minutes by default) returns the first result and applies nothing. Pass {@link
 * #requestId()} to {@link RequestOptions#withRequestId} with the same key and amount, and {@link
 * #priorNodes()} to {@link RequestOptions#withPriorNodes}, so that whichever node gets the retry
 * asks the nodes the write may have reached before applying it. A write that
 * was coalesced with others has no request id of its own ({@link #requestId()} is empty): its fate
 * is the fate of the whole coalesced batch, which cannot be retried piecemeal.
 */
public class WriteOutcomeUnknownException extends TallyException {

  private static final long serialVersionUID = 1L;

  /** The request id of every attempt, or null for a coalesced write. */
  private final String requestId;

  /** Names of the nodes the write may have reached ("*": a node whose name is unknown). */
  private final List<String> priorNodes;

  /**
   * See {@link TallyException#TallyException}; no prior nodes known.
   *
   * @param requestId the request id every attempt carried, or null for a coalesced write
   */
  public WriteOutcomeUnknownException(
      Status.Code code,
      String description,
      String endpoint,
      int attempts,
      String requestId,
      Throwable cause) {
    this(code, description, endpoint, attempts, requestId, List.of(), cause);
  }

  /**
   * See {@link TallyException#TallyException}.
   *
   * @param requestId the request id every attempt carried, or null for a coalesced write
   * @param priorNodes the nodes the write may have reached, by name or {@code "*"}
   */
  public WriteOutcomeUnknownException(
      Status.Code code,
      String description,
      String endpoint,
      int attempts,
      String requestId,
      List<String> priorNodes,
      Throwable cause) {
    super(code, describe(description, requestId), endpoint, attempts, cause);
    this.requestId = requestId;
    this.priorNodes = List.copyOf(priorNodes);
  }

  /** The request id every attempt carried; empty for a write that was coalesced with others. */
  public Optional<String> requestId() {
    return Optional.ofNullable(requestId);
  }

  /**
   * The nodes the write may have reached, by node name ({@code "*"} for one whose name the client
   * had not learned): pass them to {@link RequestOptions#withPriorNodes} when retrying on any node.
   * Empty when unknown.
   */
  public List<String> priorNodes() {
    return priorNodes;
  }

  private static String describe(String description, String requestId) {
    String base = description == null || description.isEmpty() ? "" : description + "; ";
    if (requestId == null) {
      return base + "the write may or may not have been applied";
    }
    return base + "the write may or may not have been applied; retrying with request id "
        + requestId + " is safe";
  }
}
