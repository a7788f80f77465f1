package dev.tally.node.metrics;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts every server call by method and status code and records its latency (call start to
 * close) as a histogram: {@code tally_grpc_server_calls_seconds{method,code}}. A client
 * cancellation is recorded as CANCELLED. For a Watch stream the "latency" is the stream's life.
 */
public final class RpcMetricsInterceptor implements ServerInterceptor {
  private record Key(String method, Status.Code code) {}

  private final MeterRegistry registry;
  private final ConcurrentHashMap<Key, Timer> timers = new ConcurrentHashMap<>();

  public RpcMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    AtomicBoolean recorded = new AtomicBoolean();
    ServerCall<ReqT, RespT> measured = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        if (recorded.compareAndSet(false, true)) {
          record(method, status.getCode(), start);
        }
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<ReqT> listener = next.startCall(measured, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        if (recorded.compareAndSet(false, true)) {
          record(method, Status.Code.CANCELLED, start);
        }
        super.onCancel();
      }
    };
  }

  private void record(String method, Status.Code code, long startNanos) {
    timers.computeIfAbsent(new Key(method, code), k -> Timer.builder("tally.grpc.server.calls")
            .description("gRPC server calls by method and status code, with latency")
            .tag("method", k.method())
            .tag("code", k.code().name())
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1).dividedBy(20))
            .maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry))
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }
}
