package dev.tally.client.internal;

import dev.tally.client.RetryListener;
import dev.tally.client.RetryPolicy;
import io.grpc.MethodDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs unary calls with retries, failover and an overall deadline ({@link RetryingCall} is one
 * call's life), and keeps track of the calls still running so that closing the client can wait for
 * them and then end them.
 *
 * <p>Concurrency: any thread may start a call; the set of running calls is concurrent.
 */
final class UnaryCallRunner {

  final EndpointPool pool;
  final ScheduledExecutorService scheduler;
  final RetryPolicy policy;
  final long attemptTimeoutNanos;
  final RetryTokenBucket budget;
  final ClientMetrics metrics;
  final boolean failoverWrites;
  /**
   * The longest a write may keep retrying: half the nodes' dedupe window, the horizon within which
   * nodes can resolve a retry that moved between them (gossip's {@code failover.RetryHorizon}).
   */
  final long maxWriteNanos;
  /** Told of every retry; null for none. */
  final RetryListener retryListener;
  private final Runnable noEndpoint;
  private final Set<RetryingCall<?, ?>> running = ConcurrentHashMap.newKeySet();

  /**
   * @param failoverWrites whether a write whose attempt may have been applied may be retried on
   *     another node, with prior_nodes (needs nodes that resolve prior nodes)
   * @param dedupeWindowNanos the nodes' dedupe window; a write's deadline is capped below it
   * @param retryListener told of every retry, or null
   * @param noEndpoint run when an attempt finds no endpoint at all (asks for a DNS refresh)
   */
  UnaryCallRunner(
      EndpointPool pool,
      ScheduledExecutorService scheduler,
      RetryPolicy policy,
      RetryTokenBucket budget,
      ClientMetrics metrics,
      boolean failoverWrites,
      long dedupeWindowNanos,
      RetryListener retryListener,
      Runnable noEndpoint) {
    this.pool = pool;
    this.scheduler = scheduler;
    this.policy = policy;
    this.attemptTimeoutNanos = policy.attemptTimeout().toNanos();
    this.budget = budget;
    this.metrics = metrics;
    this.failoverWrites = failoverWrites;
    this.maxWriteNanos = dedupeWindowNanos / 2;
    this.retryListener = retryListener;
    this.noEndpoint = noEndpoint;
  }

  /**
   * Starts a call; the future completes on a transport or scheduler thread.
   *
   * @param method the method's name for metrics and logs
   * @param write the write's request id and prior nodes (also in {@code request}), or null for a
   *     read
   * @param deadlineNanos the overall deadline on the {@link System#nanoTime()} scale (a write's is
   *     capped at {@link #maxWriteNanos} from now)
   */
  <Q, R> CompletableFuture<R> call(
      String method, MethodDescriptor<Q, R> descriptor, Q request, WriteSpec<Q> write, long deadlineNanos) {
    RetryingCall<Q, R> call =
        new RetryingCall<>(this, method, descriptor, request, write, deadlineNanos);
    call.start();
    return call.result();
  }

  void register(RetryingCall<?, ?> call) {
    running.add(call);
  }

  void unregister(RetryingCall<?, ?> call) {
    running.remove(call);
  }

  void noEndpoint() {
    noEndpoint.run();
  }

  /** Waits until no call is running, at most {@code timeoutNanos}; true when none is left. */
  boolean awaitIdle(long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    while (!running.isEmpty()) {
      List<CompletableFuture<?>> futures = new ArrayList<>();
      for (RetryingCall<?, ?> c : running) {
        futures.add(c.result());
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return running.isEmpty();
      }
      try {
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
            .get(left, TimeUnit.NANOSECONDS);
      } catch (ExecutionException | CancellationException e) {
        // A failed call is a finished call; loop to look at what is still running.
      } catch (TimeoutException e) {
        return running.isEmpty();
      }
    }
    return true;
  }

  /** Ends every running call now (see {@link RetryingCall#abort}). */
  void abortAll(String reason) {
    for (RetryingCall<?, ?> c : List.copyOf(running)) {
      c.abort(reason);
    }
  }
}
