package dev.tally.client;

import io.grpc.Status;

/**
 * The node refused the call in its current state ({@code FAILED_PRECONDITION}), for example
 * because it is not yet a member of a cluster. Not retried: retrying will not help until the state
 * is fixed.
 */
public class FailedPreconditionException extends TallyException {

  private static final long serialVersionUID = 1L;

  /** See {@link TallyException#TallyException}; the code is {@code FAILED_PRECONDITION}. */
  public FailedPreconditionException(
      String description, String endpoint, int attempts, Throwable cause) {
    super(Status.Code.FAILED_PRECONDITION, description, endpoint, attempts, cause);
  }
}
