package dev.tally.client.internal;

/**
 * What the client counts. The Micrometer implementation is loaded only when a registry is given,
 * so Micrometer stays an optional dependency.
 */
interface ClientMetrics {

  /** A logical call ended (after all its attempts). {@code outcome} is "success" or a code. */
  void callCompleted(String method, String outcome, long nanos);

  /** A call made another attempt. */
  void retry(String method);

  /** An attempt went to a different endpoint than the previous attempt of the same call. */
  void failover(String method);

  /** A call wanted to retry but the retry budget was empty. */
  void retryBudgetExhausted(String method);

  /** A watch stream was lost and is being re-established. */
  void watchReconnect();

  /** A coalesced IncrementMany carried {@code writes} callers' increments and decrements. */
  void coalescedBatch(int writes);

  ClientMetrics NOOP = new ClientMetrics() {
    @Override
    public void callCompleted(String method, String outcome, long nanos) {}

    @Override
    public void retry(String method) {}

    @Override
    public void failover(String method) {}

    @Override
    public void retryBudgetExhausted(String method) {}

    @Override
    public void watchReconnect() {}

    @Override
    public void coalescedBatch(int writes) {}
  };

  /** Micrometer metrics on {@code registry} (a MeterRegistry), or none when it is null. */
  static ClientMetrics of(Object registry) {
    return registry == null ? NOOP : MicrometerClientMetrics.create(registry);
  }
}
