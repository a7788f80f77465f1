package dev.tally.client.internal;

import dev.tally.client.TallyException;
import dev.tally.client.WriteOutcomeUnknownException;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logical unary call: its attempts, the backoffs between them and its single outcome.
 *
 * <p>Each attempt gets a healthy endpoint (round robin, avoiding the one that just failed) and the
 * smaller of the attempt timeout and what is left of the overall deadline. A transient failure is
 * retried after a jittered exponential backoff while attempts, deadline and retry budget allow.
 * A write carries the same request id in every attempt. If an attempt of a write may have been
 * applied (its request reached a transport stream and no node said it applied nothing), the
 * following attempts stay on that endpoint, whose dedupe recognises the id, unless the cluster
 * dedupes across nodes; and if no later attempt settles it, the call ends in {@link
 * WriteOutcomeUnknownException}.
 *
 * <p>Concurrency: attempts never overlap. The step fields ({@code attempts}, {@code lastEndpoint},
 * {@code pinned}, {@code lastStatus}) are used by one step at a time: the caller's thread (first
 * attempt), a transport thread ({@code onClose}) or the scheduler (a retry), each step handing over
 * to the next through gRPC or the scheduler, which order memory. {@code current}, {@code
 * mayHaveApplied} and {@code attemptInFlight} are volatile because cancellation and {@link #abort}
 * read them from any thread. The outcome is decided once, by whoever completes {@code result}
 * first.
 */
final class RetryingCall<Q, R> {

  private static final Logger log = LoggerFactory.getLogger(RetryingCall.class);

  private final UnaryCallRunner runner;
  private final String method;
  private final MethodDescriptor<Q, R> descriptor;
  private final Q request;
  private final String requestId;
  private final long deadlineNanos;
  private final long startNanos = System.nanoTime();
  private final CompletableFuture<R> result = new CompletableFuture<>();
  /** Won by whoever settles the call, so that it is settled and counted once. */
  private final AtomicBoolean settled = new AtomicBoolean();

  private int attempts;
  private Endpoint lastEndpoint;
  private Endpoint pinned;
  private Status lastStatus;
  private volatile ClientCall<Q, R> current;
  private volatile boolean mayHaveApplied;
  private volatile boolean attemptInFlight;

  RetryingCall(
      UnaryCallRunner runner,
      String method,
      MethodDescriptor<Q, R> descriptor,
      Q request,
      String requestId,
      long deadlineNanos) {
    this.runner = runner;
    this.method = method;
    this.descriptor = descriptor;
    this.request = request;
    this.requestId = requestId;
    this.deadlineNanos = deadlineNanos;
  }

  CompletableFuture<R> result() {
    return result;
  }

  private boolean isWrite() {
    return requestId != null;
  }

  void start() {
    runner.budget.onCall();
    runner.register(this);
    result.whenComplete((r, t) -> {
      runner.unregister(this);
      if (result.isCancelled()) {
        if (settled.compareAndSet(false, true)) {
          runner.metrics.callCompleted(method, "cancelled", System.nanoTime() - startNanos);
        }
        ClientCall<Q, R> c = current;
        if (c != null) {
          c.cancel("cancelled by the caller", null);
        }
      }
    });
    attempt();
  }

  private void attempt() {
    if (result.isDone()) {
      return;
    }
    long remaining = deadlineNanos - System.nanoTime();
    if (remaining <= 0) {
      Status expired = Status.DEADLINE_EXCEEDED.withDescription(lastStatus == null
          ? "the call's deadline expired before the first attempt"
          : "the call's deadline expired; the last attempt failed with " + lastStatus.getCode()
              + ": " + Failures.describe(lastStatus));
      fail(expired, false, false);
      return;
    }
    Endpoint endpoint;
    if (pinned != null) {
      endpoint = pinned;
      endpoint.prepareForAttempt();
    } else {
      endpoint = runner.pool.pick(lastEndpoint);
    }
    attempts++;
    if (attempts > 1) {
      runner.metrics.retry(method);
    }
    if (endpoint == null) {
      runner.noEndpoint();
      onAttemptClosed(null, Status.UNAVAILABLE.withDescription(
          "no address known yet for " + runner.pool.target()), false, false);
      return;
    }
    if (lastEndpoint != null && endpoint != lastEndpoint) {
      runner.metrics.failover(method);
    }
    lastEndpoint = endpoint;

    AttemptTracer tracer = new AttemptTracer();
    long attemptNanos = Math.min(remaining, runner.attemptTimeoutNanos);
    CallOptions options = CallOptions.DEFAULT
        .withDeadlineAfter(attemptNanos, TimeUnit.NANOSECONDS)
        .withStreamTracerFactory(tracer);
    ClientCall<Q, R> call = endpoint.channel().newCall(descriptor, options);
    current = call;
    attemptInFlight = true;
    try {
      call.start(new AttemptListener(endpoint, tracer), new Metadata());
      call.request(2);
      call.sendMessage(request);
      call.halfClose();
    } catch (RuntimeException e) {
      // onClose follows with CANCELLED and this cause; it ends the call.
      call.cancel("the client could not send the request", e);
    }
    if (result.isDone()) {
      call.cancel("cancelled by the caller", null);
    }
  }

  private final class AttemptListener extends ClientCall.Listener<R> {
    private final Endpoint endpoint;
    private final AttemptTracer tracer;
    private R response;

    AttemptListener(Endpoint endpoint, AttemptTracer tracer) {
      this.endpoint = endpoint;
      this.tracer = tracer;
    }

    @Override
    public void onMessage(R message) {
      if (response == null) {
        response = message;
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      attemptInFlight = false;
      if (status.isOk() && response == null) {
        status = Status.INTERNAL.withDescription("the node closed the call without a reply");
      }
      if (status.isOk()) {
        succeed(endpoint, response);
      } else {
        onAttemptClosed(endpoint, status, tracer.requestSent(), tracer.statusFromNode());
      }
    }
  }

  private void succeed(Endpoint endpoint, R response) {
    runner.pool.markHealthy(endpoint);
    if (settled.compareAndSet(false, true)) {
      // Counted before completing, so that a caller who wakes up sees the metric.
      runner.metrics.callCompleted(method, "success", System.nanoTime() - startNanos);
      result.complete(response);
    }
  }

  private void onAttemptClosed(Endpoint endpoint, Status status, boolean sent, boolean fromNode) {
    lastStatus = status;
    Status.Code code = status.getCode();
    boolean transientFailure = Failures.isTransient(code);
    if (isWrite() && sent && !(fromNode && Failures.nodeAppliedNothing(code))) {
      mayHaveApplied = true;
      if (!runner.failoverUncertainWrites) {
        pinned = endpoint;
      }
    }
    if (endpoint != null) {
      if (transientFailure) {
        runner.pool.markFailed(endpoint);
      } else if (fromNode) {
        runner.pool.markHealthy(endpoint);
      }
    }
    if (settled.get()) {
      return;
    }
    if (!transientFailure || attempts >= runner.policy.maxAttempts()) {
      fail(status, fromNode, false);
      return;
    }
    long delay = Backoff.delayNanos(runner.policy, attempts, ThreadLocalRandom.current());
    if (deadlineNanos - System.nanoTime() <= delay) {
      fail(status, fromNode, false);
      return;
    }
    if (!runner.budget.tryAcquire()) {
      runner.metrics.retryBudgetExhausted(method);
      fail(status, fromNode, true);
      return;
    }
    if (log.isDebugEnabled()) {
      log.debug("{} attempt {} on {} failed with {}: {}; retrying in {} us{}", method, attempts,
          endpoint, code, Failures.describe(status), delay / 1000,
          pinned != null ? " on the same endpoint" : "");
    }
    try {
      runner.scheduler.schedule(this::attempt, delay, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      fail(status, fromNode, false);
    }
  }

  private void fail(Status status, boolean fromNode, boolean budgetExhausted) {
    String endpoint = lastEndpoint == null ? null : lastEndpoint.name();
    Status.Code code = status.getCode();
    TallyException error;
    if (fromNode && !Failures.isTransient(code)) {
      error = Failures.definite(status, endpoint, attempts);
    } else if (isWrite() && mayHaveApplied) {
      error = new WriteOutcomeUnknownException(
          code, Failures.describe(status), endpoint, attempts, requestId, status.getCause());
    } else if (Failures.isTransient(code)) {
      error = Failures.unavailable(status, endpoint, attempts, budgetExhausted);
    } else {
      error = Failures.definite(status, endpoint, attempts);
    }
    if (settled.compareAndSet(false, true)) {
      runner.metrics.callCompleted(method, Failures.outcome(error), System.nanoTime() - startNanos);
      result.completeExceptionally(error);
    }
  }

  /**
   * Ends the call now, from any thread (the client is closing and its grace period is over). A
   * write that may have reached a node ends in {@link WriteOutcomeUnknownException}.
   */
  void abort(String reason) {
    // attempts and lastEndpoint may be a step stale here; they only word the message.
    Endpoint last = lastEndpoint;
    String endpoint = last == null ? null : last.name();
    TallyException error = isWrite() && (mayHaveApplied || attemptInFlight)
        ? new WriteOutcomeUnknownException(Status.Code.CANCELLED, reason, endpoint, attempts, requestId, null)
        : new TallyException(Status.Code.CANCELLED, reason, endpoint, attempts, null);
    if (settled.compareAndSet(false, true)) {
      runner.metrics.callCompleted(method, Failures.outcome(error), System.nanoTime() - startNanos);
      result.completeExceptionally(error);
      ClientCall<Q, R> c = current;
      if (c != null) {
        c.cancel(reason, null);
      }
    }
  }
}
