package dev.tally.client;

import io.grpc.Status;

/**
 * The node requires a token ({@code auth-tokens} is set) and the call carried none, or one it does
 * not know ({@code UNAUTHENTICATED}). Nothing was applied. Never retried: the same credentials
 * would be refused again; set {@link TallyClientBuilder#token(String)}.
 */
public class UnauthenticatedException extends TallyException {

  private static final long serialVersionUID = 1L;

  /** See {@link TallyException#TallyException}; the code is {@code UNAUTHENTICATED}. */
  public UnauthenticatedException(String description, String endpoint, int attempts, Throwable cause) {
    super(Status.Code.UNAUTHENTICATED, description, endpoint, attempts, cause);
  }
}
