package dev.tally.client.internal;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;

/**
 * One node the client can call: its channel, whether it failed recently, and the node's name as
 * its {@code tally-node} response header last gave it.
 *
 * <p>Concurrency: any thread; the health and name fields are volatile and updated without a lock
 * (the last writer wins: health only steers the choice of endpoint, and a node's name changes only
 * when another node takes over its address, after which the new name is the right one).
 */
final class Endpoint {

  /** The response header in which every node names itself. */
  static final Metadata.Key<String> NODE_HEADER =
      Metadata.Key.of("tally-node", Metadata.ASCII_STRING_MARSHALLER);

  private final HostPort address;
  private final String name;
  private final ManagedChannel channel;
  private volatile boolean coolingDown;
  private volatile long coolDownUntilNanos;
  private volatile String nodeName;

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

  /** The node's name from its {@code tally-node} header; null until a response carried one. */
  String nodeName() {
    return nodeName;
  }

  /** Learns the node's name from response headers or trailers, if they carry one. */
  void learnNodeName(Metadata headers) {
    if (headers == null) {
      return;
    }
    String name = headers.get(NODE_HEADER);
    if (name != null && !name.isBlank() && !name.strip().equals(nodeName)) {
      nodeName = name.strip();
    }
  }

  /** The node's name, or {@code "*"} ("any node of the cluster") while it is unknown. */
  String nodeNameOrAny() {
    String n = nodeName;
    return n != null ? n : "*";
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
