package dev.tally.node.http;

import io.grpc.Attributes;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLSession;

/**
 * Carries an HTTP client's connection across the in-process hop: each TCP connection of the HTTP
 * port is registered here under a random id, the gateway sends that id as call metadata, and
 * {@link #interceptor} (outermost on the in-process server, which only the gateway can reach)
 * swaps it for the connection's real remote address and TLS session in the call's attributes.
 * So the node's interceptors see an HTTP call as they see a gRPC one: per-connection Watch limits
 * count the HTTP connection (one TCP connection for all streams of an HTTP/2 client), and a
 * client certificate names a principal (auth-tokens cert-subject) on both ports.
 *
 * <p>Thread-safe: connections register and leave on their event loops; calls look up on theirs.
 */
final class HttpConnections {
  static final Metadata.Key<String> CONNECTION = Metadata.Key.of("tally-http-connection", Metadata.ASCII_STRING_MARSHALLER);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What the node's interceptors may know of an HTTP connection. */
  record Connection(SocketAddress remote, SSLSession session) {}

  private final Map<String, Connection> open = new ConcurrentHashMap<>();

  /** Registers a connection; returns its id (unguessable, so no other caller can borrow one). */
  String register(Connection c) {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    String key = HexFormat.of().formatHex(id);
    open.put(key, c);
    return key;
  }

  void update(String id, Connection c) {
    open.replace(id, c);
  }

  void remove(String id) {
    open.remove(id);
  }

  int size() {
    return open.size();
  }

  ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String id = headers.get(CONNECTION);
        headers.discardAll(CONNECTION);
        Connection c = id == null ? null : open.get(id);
        if (c == null) {
          call.close(Status.INTERNAL.withDescription("call without an HTTP connection on the gateway's in-process server"),
              new Metadata());
          return new ServerCall.Listener<>() {};
        }
        Attributes.Builder attrs = call.getAttributes().toBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, c.remote());
        if (c.session() != null) {
          attrs.set(Grpc.TRANSPORT_ATTR_SSL_SESSION, c.session());
        }
        Attributes attributes = attrs.build();
        return next.startCall(new SimpleForwardingServerCall<>(call) {
          @Override
          public Attributes getAttributes() {
            return attributes;
          }
        }, headers);
      }
    };
  }
}
