package dev.tally.client;

import io.grpc.Status;

/**
 * The token is valid but may not do this ({@code PERMISSION_DENIED}): it lacks the role the call
 * needs, or a key is outside its key prefixes; {@link #description()} names which. Nothing of the
 * call was applied (for a batch: no item). Never retried.
 */
public class PermissionDeniedException extends TallyException {

  private static final long serialVersionUID = 1L;

  /** See {@link TallyException#TallyException}; the code is {@code PERMISSION_DENIED}. */
  public PermissionDeniedException(String description, String endpoint, int attempts, Throwable cause) {
    super(Status.Code.PERMISSION_DENIED, description, endpoint, attempts, cause);
  }
}
