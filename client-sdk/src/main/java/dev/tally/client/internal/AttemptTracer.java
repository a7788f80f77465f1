package dev.tally.client.internal;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;

/**
 * Watches one attempt's streams to learn whether its request left the client and whether the
 * status came from a node. A request that never reached a stream cannot have been applied, so a
 * write may fail over to another node; one that did may have been applied, whatever the status.
 *
 * <p>Concurrency: written by transport threads, read after the attempt's {@code onClose}; the
 * fields are volatile.
 */
final class AttemptTracer extends ClientStreamTracer.Factory {

  private volatile boolean requestSent;
  private volatile boolean trailersReceived;

  @Override
  public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
    return new ClientStreamTracer() {
      @Override
      public void outboundMessage(int seqNo) {
        requestSent = true;
      }

      @Override
      public void inboundTrailers(Metadata trailers) {
        trailersReceived = true;
      }
    };
  }

  /** The request was handed to a transport stream (it may have reached the node). */
  boolean requestSent() {
    return requestSent;
  }

  /** The node sent the final status itself (rather than the client or the connection failing). */
  boolean statusFromNode() {
    return trailersReceived;
  }
}
