package dev.tally.node.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.SocketAddress;

/**
 * Which client connection the current call arrived on: its remote address (IP and port name one
 * TCP connection), put in the call's context by {@link #INTERCEPTOR}. Limits kept per connection
 * (Watch streams and keys) read it from here.
 */
public final class CallConnection {
  static final Context.Key<String> KEY = Context.key("tally-connection");
  /** For calls that carry no remote address (the in-process transport of tests). */
  public static final String UNKNOWN = "unknown";

  /** Records the call's remote address for the handler. */
  public static final ServerInterceptor INTERCEPTOR = new ServerInterceptor() {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      Context context = Context.current().withValue(KEY, remote == null ? UNKNOWN : remote.toString());
      return Contexts.interceptCall(context, call, headers, next);
    }
  };

  private CallConnection() {}

  /** The current call's connection, or {@link #UNKNOWN}. */
  public static String current() {
    String c = KEY.get();
    return c == null ? UNKNOWN : c;
  }
}
