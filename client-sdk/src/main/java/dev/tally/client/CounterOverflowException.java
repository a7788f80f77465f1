package dev.tally.client;

import io.grpc.Status;

/**
 * The change would take a counter's value (or one replica's running total of increments or
 * decrements) outside 64 bits ({@code OUT_OF_RANGE}). Nothing was applied: counts never wrap.
 * For {@code incrementMany} and coalesced writes, nothing of the whole batch was applied.
 */
public class CounterOverflowException extends TallyException {

  private static final long serialVersionUID = 1L;

  /** See {@link TallyException#TallyException}; the code is {@code OUT_OF_RANGE}. */
  public CounterOverflowException(String description, String endpoint, int attempts, Throwable cause) {
    super(Status.Code.OUT_OF_RANGE, description, endpoint, attempts, cause);
  }
}
