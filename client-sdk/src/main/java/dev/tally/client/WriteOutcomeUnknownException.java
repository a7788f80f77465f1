package dev.tally.client;

import io.grpc.Status;
import java.util.Optional;

/**
 * A write may or may not have been applied: at least one attempt reached a node and then failed
 * without a definite answer (its response was lost, it timed out, or a quorum write could not
 * reach a majority in time though it was applied locally), and no later attempt settled it.
 *
 * <p>Retrying with the same request id is safe: a node that applied the id within its dedupe
 * window (10 minutes by default) returns the first result and applies nothing. Pass {@link
 * #requestId()} to {@link RequestOptions#withRequestId} with the same key and amount. A write that
 * was coalesced with others has no request id of its own ({@link #requestId()} is empty): its fate
 * is the fate of the whole coalesced batch, which cannot be retried piecemeal.
 */
public class WriteOutcomeUnknownException extends TallyException {

  private static final long serialVersionUID = 1L;

  /** The request id of every attempt, or null for a coalesced write. */
  private final String requestId;

  /**
   * See {@link TallyException#TallyException}.
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
    super(code, describe(description, requestId), endpoint, attempts, cause);
    this.requestId = requestId;
  }

  /** The request id every attempt carried; empty for a write that was coalesced with others. */
  public Optional<String> requestId() {
    return Optional.ofNullable(requestId);
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
