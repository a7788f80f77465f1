package dev.tally.node.testing;

import dev.tally.node.TallyNode;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A second gRPC server on loopback in front of a real {@link TallyNode}: it serves the node's own
 * services ({@link TallyNode#serviceDefinitions()}) through an interceptor that can lose the
 * response of a call after the node has handled it, so a test sees exactly what a client sees
 * when an answer is lost on the way back, while the node applies (and dedupes) for real.
 *
 * <p>Threads: calls run on gRPC's event loops (direct executor, as on the node); the fault plan and
 * the request log are concurrent, so a test may arm faults and read the log from its own thread.
 */
public final class FaultyFront implements AutoCloseable {

  /** What happens to the response of an armed call. The node has applied it in both cases. */
  public enum Fault {
    /** The reply is replaced by {@code UNAVAILABLE}, as when a proxy or the connection fails. */
    FAIL_RESPONSE,
    /** The reply never arrives; the client's attempt runs into its deadline. */
    DROP_RESPONSE
  }

  private record Plan(Fault fault, AtomicInteger remaining) {}

  private final Map<String, Plan> plans = new ConcurrentHashMap<>();
  private final Map<String, List<Object>> requests = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
  private final Server server;

  private FaultyFront(TallyNode node) {
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor();
    node.serviceDefinitions().forEach(def -> b.addService(ServerInterceptors.intercept(def, new Interceptor())));
    try {
      server = b.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Serves {@code node}'s services on a free loopback port; no fault is armed. */
  public static FaultyFront start(TallyNode node) {
    return new FaultyFront(node);
  }

  public int port() {
    return server.getPort();
  }

  /** {@code 127.0.0.1:port}, as a client's endpoint. */
  public String endpoint() {
    return "127.0.0.1:" + port();
  }

  /** The next {@code calls} calls of {@code method} get {@code fault} (replacing any earlier plan). */
  public void arm(MethodDescriptor<?, ?> method, Fault fault, int calls) {
    plans.put(method.getFullMethodName(), new Plan(fault, new AtomicInteger(calls)));
  }

  /** The requests of {@code method} received so far, in arrival order. */
  @SuppressWarnings("unchecked")
  public <Q> List<Q> requests(MethodDescriptor<Q, ?> method) {
    return (List<Q>) List.copyOf(requests.getOrDefault(method.getFullMethodName(), List.of()));
  }

  /** How many calls of {@code method} the node answered successfully (whether or not the answer was lost). */
  public int answeredByNode(MethodDescriptor<?, ?> method) {
    AtomicInteger n = handled.get(method.getFullMethodName());
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Interceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      String method = call.getMethodDescriptor().getFullMethodName();
      Plan plan = plans.get(method);
      Fault fault = plan != null && plan.remaining().getAndDecrement() > 0 ? plan.fault() : null;
      ServerCall<Q, R> wrapped = new SimpleForwardingServerCall<>(call) {
        @Override
        public void sendMessage(R message) {
          if (fault == null) {
            super.sendMessage(message);
          }
        }

        @Override
        public void close(Status status, Metadata trailers) {
          if (status.isOk()) {
            handled.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
          }
          if (fault == null || !status.isOk()) {
            super.close(status, trailers);
          } else if (fault == Fault.FAIL_RESPONSE) {
            super.close(Status.UNAVAILABLE.withDescription("test: the response was lost after the node answered"),
                new Metadata());
          }
          // DROP_RESPONSE: never closes; the client's deadline cancels the call.
        }
      };
      return new SimpleForwardingServerCallListener<>(next.startCall(wrapped, headers)) {
        @Override
        public void onMessage(Q message) {
          requests.computeIfAbsent(method, m -> new CopyOnWriteArrayList<>()).add(message);
          super.onMessage(message);
        }
      };
    }
  }
}
