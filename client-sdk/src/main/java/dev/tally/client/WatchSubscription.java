package dev.tally.client;

import java.util.Optional;

/** A running {@link TallyClient#watch}; close it to stop receiving values. */
public interface WatchSubscription extends AutoCloseable {

  /**
   * Stops the subscription: cancels its stream, stops reconnecting, and no listener method is
   * called after this returns except one already running. Idempotent.
   */
  @Override
  void close();

  /** False once closed, ended by a terminal error, or the client closed. */
  boolean isActive();

  /** The endpoint the subscription is currently streaming from, if connected. */
  Optional<String> connectedEndpoint();
}
