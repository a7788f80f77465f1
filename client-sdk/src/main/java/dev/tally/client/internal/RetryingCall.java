package dev.tally.client.internal;

import dev.tally.client.RetryEvent;
import dev.tally.client.TallyException;
import dev.tally.client.WriteOutcomeUnknownException;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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
 *
 * <p>A write carries the same request id in every attempt, and its deadline is capped below the
 * nodes' dedupe window. An attempt "may have reached" its node when its request reached a
 * transport stream and the node did not answer with a code that means it applied nothing. Every
 * attempt lists in {@code prior_nodes} the nodes earlier attempts may have reached (by the name
 * from their {@code tally-node} header, {@code "*"} while unknown), plus the caller's prior nodes
 * and any node named by an {@code ABORTED} answer, but never the node it is sent to; that node
 * asks them before applying, so the write counts once wherever it lands. {@code ABORTED} from a
 * node means another node is handling the request id: the next attempt goes to the node it names
 * when the client knows its address, else to another endpoint. With failover of writes off, an
 * attempt that may have reached a node pins the retries to it, and {@code ABORTED} ends the call.
 * If no attempt settles a write that may have been applied, the call ends in {@link
 * WriteOutcomeUnknownException} carrying the request id and the nodes it may have reached.
 *
 * <p>Concurrency: attempts never overlap. The step fields ({@code attempts}, {@code lastEndpoint},
 * {@code failedEndpoint}, {@code pinned}, {@code preferred}, {@code lastStatus}, {@code reached},
 * {@code named}, {@code handledElsewhere}) are used by one step at a time: the caller's thread
 * (first attempt), a transport thread ({@code onClose}) or the scheduler (a retry), each step
 * handing over to the next through gRPC or the scheduler, which order memory. {@code current},
 * {@code currentEndpoint}, {@code mayHaveApplied}, {@code attemptInFlight} and {@code
 * reachedSnapshot} are volatile because cancellation and {@link #abort} read them from any thread.
 * The outcome is decided once, by whoever completes {@code result} first. The retry listener is
 * called on the scheduler thread, holding no lock.
 */
final class RetryingCall<Q, R> {

  private static final Logger log = LoggerFactory.getLogger(RetryingCall.class);

  private final UnaryCallRunner runner;
  private final String method;
  private final MethodDescriptor<Q, R> descriptor;
  private final Q request;
  private final WriteSpec<Q> write;
  private final String requestId;
  private final long startNanos = System.nanoTime();
  private final long deadlineNanos;
  private final CompletableFuture<R> result = new CompletableFuture<>();
  /** Won by whoever settles the call, so that it is settled and counted once. */
  private final AtomicBoolean settled = new AtomicBoolean();

  private int attempts;
  private Endpoint lastEndpoint;
  /** The endpoint of the attempt that failed last; null when that attempt found none. */
  private Endpoint failedEndpoint;
  private Endpoint pinned;
  /** The endpoint an ABORTED answer named as the request id's handler, tried next. */
  private Endpoint preferred;
  private Status lastStatus;
  /** Endpoints an attempt may have reached, in order. */
  private final Set<Endpoint> reached = new LinkedHashSet<>();
  /** Node names to list as prior nodes besides {@code reached}: the caller's and ABORTED handlers. */
  private final Set<String> named = new LinkedHashSet<>();
  /** A node answered ABORTED: another node handles the request id, so its outcome is unknown. */
  private boolean handledElsewhere;
  /** {@link #mayHaveReached()} as of the last step, for {@link #abort}. */
  private volatile List<String> reachedSnapshot = List.of();
  private volatile Endpoint currentEndpoint;
  private volatile ClientCall<Q, R> current;
  private volatile boolean mayHaveApplied;
  private volatile boolean attemptInFlight;

  RetryingCall(
      UnaryCallRunner runner,
      String method,
      MethodDescriptor<Q, R> descriptor,
      Q request,
      WriteSpec<Q> write,
      long deadlineNanos) {
    this.runner = runner;
    this.method = method;
    this.descriptor = descriptor;
    this.request = request;
    this.write = write;
    this.requestId = write == null ? null : write.requestId();
    long writeLimit = startNanos + runner.maxWriteNanos;
    this.deadlineNanos = write != null && deadlineNanos - writeLimit > 0 ? writeLimit : deadlineNanos;
    if (write != null) {
      named.addAll(write.priorNodes());
      reachedSnapshot = List.copyOf(named);
    }
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
    } else if (preferred != null && !preferred.isCoolingDown(runner.pool.now())) {
      endpoint = preferred;
      endpoint.prepareForAttempt();
    } else {
      endpoint = runner.pool.pick(lastEndpoint);
    }
    preferred = null;
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
    Q toSend = request;
    List<String> priorNodes = List.of();
    if (write != null) {
      priorNodes = priorNodesFor(endpoint);
      if (!priorNodes.equals(write.priorNodes())) {
        toSend = write.withPriorNodes().apply(request, priorNodes);
      }
    }
    if (attempts > 1) {
      tellListener(endpoint, priorNodes);
    }

    AttemptTracer tracer = new AttemptTracer();
    long attemptNanos = Math.min(remaining, runner.attemptTimeoutNanos);
    CallOptions options = CallOptions.DEFAULT
        .withDeadlineAfter(attemptNanos, TimeUnit.NANOSECONDS)
        .withStreamTracerFactory(tracer);
    ClientCall<Q, R> call = endpoint.channel().newCall(descriptor, options);
    current = call;
    currentEndpoint = endpoint;
    attemptInFlight = true;
    try {
      call.start(new AttemptListener(endpoint, tracer), new Metadata());
      call.request(2);
      call.sendMessage(toSend);
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
    public void onHeaders(Metadata headers) {
      endpoint.learnNodeName(headers);
    }

    @Override
    public void onMessage(R message) {
      if (response == null) {
        response = message;
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      // A trailers-only answer (most errors) carries the node's headers in its trailers.
      endpoint.learnNodeName(trailers);
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
    failedEndpoint = endpoint;
    Status.Code code = status.getCode();
    // ABORTED from a node on a write: another node is handling this request id; this one applied
    // nothing. It is worth another attempt elsewhere only when writes may fail over.
    boolean aborted = isWrite() && fromNode && code == Status.Code.ABORTED;
    boolean retryable = Failures.isTransient(code) || (aborted && runner.failoverWrites);
    if (isWrite() && sent && !aborted && !(fromNode && Failures.nodeAppliedNothing(code))) {
      mayHaveApplied = true;
      reached.add(endpoint);
      if (!runner.failoverWrites) {
        pinned = endpoint;
      }
    }
    if (aborted) {
      handledElsewhere = true;
      String handler = Failures.handlerNamed(status);
      if (handler != null) {
        named.add(handler);
        preferred = runner.pool.endpointNamed(handler, endpoint);
      }
    }
    if (isWrite()) {
      reachedSnapshot = mayHaveReached();
    }
    if (endpoint != null) {
      if (Failures.isTransient(code)) {
        runner.pool.markFailed(endpoint);
      } else if (fromNode) {
        runner.pool.markHealthy(endpoint);
      }
    }
    if (settled.get()) {
      return;
    }
    if (!retryable || attempts >= runner.policy.maxAttempts()) {
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
    if (fromNode && !Failures.isTransient(code) && code != Status.Code.ABORTED) {
      error = Failures.definite(status, endpoint, attempts);
    } else if (isWrite() && (mayHaveApplied || handledElsewhere)) {
      error = new WriteOutcomeUnknownException(code, Failures.describe(status), endpoint, attempts,
          requestId, mayHaveReached(), status.getCause());
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
   * The prior_nodes of an attempt on {@code target}: the caller's and ABORTED handlers' names, and
   * every other endpoint an earlier attempt may have reached (its name, or "*" while unknown),
   * without duplicates and without {@code target}'s own name.
   */
  private List<String> priorNodesFor(Endpoint target) {
    String self = target.nodeName();
    Set<String> out = new LinkedHashSet<>();
    for (String n : named) {
      if (!n.equals(self)) {
        out.add(n);
      }
    }
    for (Endpoint e : reached) {
      String n = e.nodeNameOrAny();
      if (e != target && !n.equals(self)) {
        out.add(n);
      }
    }
    return List.copyOf(out);
  }

  /** Every node this write may have reached, for a retry by hand (see priorNodes in the exception). */
  private List<String> mayHaveReached() {
    Set<String> out = new LinkedHashSet<>(named);
    for (Endpoint e : reached) {
      out.add(e.nodeNameOrAny());
    }
    return List.copyOf(out);
  }

  private void tellListener(Endpoint next, List<String> priorNodes) {
    if (runner.retryListener == null || lastStatus == null) {
      return;
    }
    Endpoint failed = failedEndpoint;
    RetryEvent event = new RetryEvent(method, attempts,
        failed == null ? null : failed.name(), failed == null ? null : failed.nodeName(),
        lastStatus.getCode(), Failures.describe(lastStatus), next.name(), requestId, priorNodes);
    try {
      runner.retryListener.onRetry(event);
    } catch (RuntimeException e) {
      log.warn("The retry listener failed on {}; ignored", event, e);
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
    List<String> priorNodes = reachedSnapshot;
    Endpoint inFlight = currentEndpoint;
    if (attemptInFlight && inFlight != null && !priorNodes.contains(inFlight.nodeNameOrAny())) {
      List<String> withInFlight = new ArrayList<>(priorNodes);
      withInFlight.add(inFlight.nodeNameOrAny());
      priorNodes = withInFlight;
    }
    TallyException error = isWrite() && (mayHaveApplied || attemptInFlight)
        ? new WriteOutcomeUnknownException(
            Status.Code.CANCELLED, reason, endpoint, attempts, requestId, priorNodes, null)
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
