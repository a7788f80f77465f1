package dev.tally.node.api;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Sets the response header {@code tally-node} (this node's name) on every call of the client
 * port, in the headers, or in the trailers of a call that fails before sending any: a client that
 * retries a write on another endpoint names the endpoints earlier attempts reached in
 * {@code prior_nodes}, and learns their names from it.
 */
public final class NodeNameHeader implements ServerInterceptor {
  public static final Metadata.Key<String> KEY = Metadata.Key.of("tally-node", Metadata.ASCII_STRING_MARSHALLER);

  private final String name;

  public NodeNameHeader(String name) {
    this.name = name;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      private boolean headersSent;

      @Override
      public void sendHeaders(Metadata responseHeaders) {
        responseHeaders.put(KEY, name);
        headersSent = true;
        super.sendHeaders(responseHeaders);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        if (!headersSent) {
          trailers.put(KEY, name);
        }
        super.close(status, trailers);
      }
    }, headers);
  }
}
