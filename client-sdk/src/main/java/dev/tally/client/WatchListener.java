package dev.tally.client;

/**
 * Receives the values of watched counters. See {@link TallyClient#watch}.
 *
 * <p>Calls to one listener never overlap and arrive in order, on the client's callback executor;
 * a listener may block (that slows only its own subscription, and the node conflates changes it
 * cannot deliver yet) but should not for long. If a method throws, the subscription ends and
 * {@link #onError} is told.
 */
public interface WatchListener {

  /**
   * A counter's current value. Each (re)connection starts with the current value of every watched
   * key, then every change follows; a node may conflate rapid changes to one key, but the latest
   * value is always delivered. After a reconnection the values come from another node, which may
   * lag slightly behind the previous one.
   */
  void onValue(CounterValue value);

  /**
   * A stream to {@code endpoint} is established; its first values follow. Called on the first
   * connection and again after every reconnection.
   */
  default void onConnected(String endpoint) {}

  /**
   * The stream to {@code endpoint} was lost; the subscription is reconnecting, to another endpoint
   * where one is healthy, with backoff.
   */
  default void onDisconnected(String endpoint, TallyException cause) {}

  /**
   * The subscription ended for good: the node refused the watch (for example {@link
   * InvalidArgumentException}), or no endpoint could be reached for longer than the client's
   * {@link TallyClientBuilder#watchReconnectTimeout watch reconnect timeout} ({@link
   * UnavailableException}). Not called after {@link WatchSubscription#close()} nor when the
   * client closes.
   */
  default void onError(TallyException error) {}
}
