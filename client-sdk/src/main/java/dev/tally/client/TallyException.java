package dev.tally.client;

import io.grpc.Status;
import java.util.Objects;
import java.util.Optional;

/**
 * A call failed. Unchecked; the subclasses name the failures a caller usually handles:
 *
 * <ul>
 *   <li>{@link InvalidArgumentException}: bad input, found by the client or the node; nothing was
 *       applied; never retried.
 *   <li>{@link CounterOverflowException}: the change would take a counter past 64 bits; nothing
 *       was applied; never retried.
 *   <li>{@link FailedPreconditionException}: the node refused the call in its current state.
 *   <li>{@link UnauthenticatedException}: no token, or one the node does not know; never retried.
 *   <li>{@link PermissionDeniedException}: the token lacks the role, or a key is outside its
 *       prefixes; nothing was applied; never retried.
 *   <li>{@link UnavailableException}: every attempt failed transiently (or the retry budget or
 *       deadline ran out) and no attempt may have applied a write.
 *   <li>{@link WriteOutcomeUnknownException}: a write may or may not have been applied.
 * </ul>
 *
 * Any other status (for example {@code UNIMPLEMENTED} or {@code INTERNAL}) arrives as a plain {@code TallyException}; {@link #code()} tells which.
 */
public class TallyException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The gRPC status code. */
  private final Status.Code code;
  /** The node's (or the client's) message. */
  private final String description;
  /** The endpoint of the last attempt, or null. */
  private final String endpoint;
  /** The number of attempts made. */
  private final int attempts;

  /**
   * @param code the gRPC status code of the failure
   * @param description the server's message (or the client's, for failures found locally)
   * @param endpoint the endpoint of the last attempt, or null when none was made
   * @param attempts the number of attempts made, 0 when the call failed before sending
   * @param cause the underlying exception, or null
   */
  public TallyException(
      Status.Code code, String description, String endpoint, int attempts, Throwable cause) {
    super(format(code, description, endpoint, attempts), cause);
    this.code = Objects.requireNonNull(code, "code");
    this.description = description == null ? "" : description;
    this.endpoint = endpoint;
    this.attempts = attempts;
  }

  /** The gRPC status code of the failure (of the last attempt, after retries). */
  public Status.Code code() {
    return code;
  }

  /**
   * The message that explains the failure: the node's own words (naming the field and the limit
   * for bad input), or the client's for failures found before or without a reply.
   */
  public String description() {
    return description;
  }

  /** The endpoint ({@code host:port}) of the last attempt, if an attempt was made. */
  public Optional<String> endpoint() {
    return Optional.ofNullable(endpoint);
  }

  /** How many attempts were made (0 when the call was refused before sending). */
  public int attempts() {
    return attempts;
  }

  private static String format(Status.Code code, String description, String endpoint, int attempts) {
    StringBuilder sb = new StringBuilder().append(code);
    if (description != null && !description.isEmpty()) {
      sb.append(": ").append(description);
    }
    if (attempts > 0) {
      sb.append(" (").append(attempts).append(attempts == 1 ? " attempt" : " attempts");
      if (endpoint != null) {
        sb.append(", last on ").append(endpoint);
      }
      sb.append(')');
    }
    return sb.toString();
  }
}
