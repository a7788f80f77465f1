package dev.tally.client;

import io.grpc.Status;

/**
 * No attempt succeeded: every one failed transiently ({@code UNAVAILABLE}, {@code
 * DEADLINE_EXCEEDED}, {@code RESOURCE_EXHAUSTED}, connection loss), and the attempts, the overall
 * deadline or the retry budget ran out. {@link #code()} is the last attempt's. For a write this
 * type means that no attempt can have applied it (none reached a node, or each was refused
 * before it was applied), so a new call is safe; otherwise the client throws {@link
 * WriteOutcomeUnknownException} instead.
 */
public class UnavailableException extends TallyException {

  private static final long serialVersionUID = 1L;

  /** Whether the retry budget refused a retry. */
  private final boolean retryBudgetExhausted;

  /**
   * See {@link TallyException#TallyException}.
   *
   * @param retryBudgetExhausted whether a retry was refused by the client's {@link RetryBudget}
   */
  public UnavailableException(
      Status.Code code,
      String description,
      String endpoint,
      int attempts,
      boolean retryBudgetExhausted,
      Throwable cause) {
    super(code, description, endpoint, attempts, cause);
    this.retryBudgetExhausted = retryBudgetExhausted;
  }

  /** Whether the call stopped retrying because the client's retry budget was empty. */
  public boolean retryBudgetExhausted() {
    return retryBudgetExhausted;
  }
}
