package dev.tally.client.internal;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;

/**
 * One node the client can call: its channel and whether it failed recently.
 *
 * <p>Concurrency: any thread; the health fields are volatile and updated without a lock (the last
 * writer wins, which is enough for a hint that only steers the choice of endpoint).
 */
final class Endpoint {

  private final HostPort address;
  private final String name;
  private final ManagedChannel channel;
  private volatile boolean coolingDown;
  private volatile long coolDownUntilNanos;

  Endpoint(HostPort address, ManagedChannel channel) {
    this.address = address;
    this.name = address.toString();
    this.channel = channel;
  }

  HostPort address() {
    return address;
  }

  /** {@code host:port}, as shown in exceptions, logs and listener events. */
  String name() {
    return name;
  }

  ManagedChannel channel() {
    return channel;
  }

  boolean isCoolingDown(long nowNanos) {
    return coolingDown && nowNanos - coolDownUntilNanos < 0;
  }

  long coolDownUntilNanos() {
    return coolingDown ? coolDownUntilNanos : Long.MIN_VALUE;
  }

  void markFailed(long nowNanos, long coolDownNanos) {
    coolDownUntilNanos = nowNanos + coolDownNanos;
    coolingDown = true;
  }

  void markHealthy() {
    if (coolingDown) {
      coolingDown = false;
    }
  }

  /**
   * Makes a channel that gRPC left backing off after failed connects try again now: the client's
   * own cool-down already decided that this endpoint deserves another attempt, and gRPC's backoff
   * (up to two minutes) would otherwise fail the attempt without trying.
   */
  void prepareForAttempt() {
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
