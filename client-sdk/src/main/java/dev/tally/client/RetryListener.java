package dev.tally.client;

/**
 * Told of every retry the client makes (see {@link TallyClientBuilder#retryListener}), for logs or
 * a command line that says what it is doing.
 *
 * <p>Runs on the client's scheduler thread just before the retry is sent, so it must be quick and
 * must never block or call the client; an exception it throws is logged and ignored.
 */
@FunctionalInterface
public interface RetryListener {

  /** A call is about to make attempt {@code event.attempt()}. */
  void onRetry(RetryEvent event);
}
