package dev.tally.node.cli;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.IncrementRequest;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in node on a loopback port for the write commands' retry tests: it names itself in the
 * {@code tally-node} header like a real node, records every Increment and Decrement as it arrived,
 * and answers each from a script: {@link #loseNext} applies the write and then fails the call with
 * UNAVAILABLE (the answer is lost), {@link #abortNext} refuses it with ABORTED naming another node
 * as its handler; unscripted calls are applied once per request id and answered.
 *
 * <p>Threads: gRPC's event loop runs the calls (direct executor); the script, the counter and the
 * dedupe table are guarded by {@code this}; the request log is concurrent.
 */
final class FakeNode implements AutoCloseable {

  private final String name;
  private final Server server;
  private final List<Object> requests = new CopyOnWriteArrayList<>();
  private final Deque<Status> script = new ArrayDeque<>(); // guarded by this
  private final Map<String, Long> applied = new HashMap<>(); // guarded by this
  private long value; // guarded by this

  private FakeNode(String name) {
    this.name = name;
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .directExecutor()
          .addService(ServerInterceptors.intercept(new Service(), new NameHeader()))
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A node called {@code name}, serving on a free loopback port. */
  static FakeNode start(String name) {
    return new FakeNode(name);
  }

  /** {@code 127.0.0.1:port}. */
  String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  /** The next {@code n} writes are applied and their answers lost (UNAVAILABLE "reply lost"). */
  synchronized FakeNode loseNext(int n) {
    for (int i = 0; i < n; i++) {
      script.add(Status.UNAVAILABLE.withDescription("reply lost"));
    }
    return this;
  }

  /** The next write is refused with ABORTED: another node, {@code handler}, handles its id. */
  synchronized FakeNode abortNext(String handler) {
    script.add(Status.ABORTED.withDescription("request id is being handled by " + handler));
    return this;
  }

  /** Increments received, in order. */
  List<IncrementRequest> increments() {
    return requests.stream().filter(IncrementRequest.class::isInstance).map(IncrementRequest.class::cast).toList();
  }

  /** Decrements received, in order. */
  List<DecrementRequest> decrements() {
    return requests.stream().filter(DecrementRequest.class::isInstance).map(DecrementRequest.class::cast).toList();
  }

  /** The counter's value on this node (every key shares it). */
  synchronized long value() {
    return value;
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

  @Override
  public String toString() {
    return name + " (" + endpoint() + ")";
  }

  private void write(String key, String requestId, long delta, StreamObserver<CounterValue> out) {
    Status fail;
    long after;
    synchronized (this) {
      fail = script.poll();
      if (fail != null && fail.getCode() == Status.Code.ABORTED) {
        out.onError(fail.asRuntimeException());
        return;
      }
      Long seen = applied.get(requestId);
      if (seen == null) {
        value += delta;
        seen = value;
        applied.put(requestId, seen);
      }
      after = seen;
    }
    if (fail != null) {
      out.onError(fail.asRuntimeException());
      return;
    }
    out.onNext(CounterValue.newBuilder().setKey(key).setValue(after).build());
    out.onCompleted();
  }

  /** {@code tally-node: NAME} in the headers, or in the trailers of a trailers-only answer. */
  private final class NameHeader implements ServerInterceptor {
    private final Metadata.Key<String> key = Metadata.Key.of("tally-node", Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        private boolean headersSent;

        @Override
        public void sendHeaders(Metadata h) {
          headersSent = true;
          h.put(key, name);
          super.sendHeaders(h);
        }

        @Override
        public void close(Status status, Metadata trailers) {
          if (!headersSent) {
            trailers.put(key, name);
          }
          super.close(status, trailers);
        }
      }, headers);
    }
  }

  private final class Service extends CounterServiceGrpc.CounterServiceImplBase {
    @Override
    public void increment(IncrementRequest request, StreamObserver<CounterValue> out) {
      requests.add(request);
      write(request.getKey(), request.getRequestId(), request.hasAmount() ? request.getAmount() : 1, out);
    }

    @Override
    public void decrement(DecrementRequest request, StreamObserver<CounterValue> out) {
      requests.add(request);
      write(request.getKey(), request.getRequestId(), -(request.hasAmount() ? request.getAmount() : 1), out);
    }
  }
}
