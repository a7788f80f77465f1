package dev.tally.client;

import io.grpc.Status;

/**
 * The call's input was refused ({@code INVALID_ARGUMENT}): an empty or oversized key, an amount
 * below 1, an empty or oversized batch, a request id reused for a different write. The message
 * names the field and the limit. Nothing was applied; retrying the same input fails the same way.
 * The client checks what it can before sending, so many of these come with {@link #attempts()} 0.
 */
public class InvalidArgumentException extends TallyException {

  private static final long serialVersionUID = 1L;

  /** See {@link TallyException#TallyException}; the code is {@code INVALID_ARGUMENT}. */
  public InvalidArgumentException(String description, String endpoint, int attempts, Throwable cause) {
    super(Status.Code.INVALID_ARGUMENT, description, endpoint, attempts, cause);
  }
}
