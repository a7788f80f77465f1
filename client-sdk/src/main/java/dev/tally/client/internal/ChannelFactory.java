package dev.tally.client.internal;

import io.grpc.ManagedChannel;

/**
 * Makes the channel to one endpoint. The default speaks gRPC over Netty with the client's
 * transport security; tests plug in in-process channels. Internal: not part of the SDK's API.
 */
@FunctionalInterface
public interface ChannelFactory {

  /**
   * A new channel to {@code address}.
   *
   * @param address where to connect
   * @param authority the authority (TLS server name) to present, or null for the address itself
   */
  ManagedChannel create(HostPort address, String authority);
}
