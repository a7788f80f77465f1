package dev.tally.client.internal;

import dev.tally.api.v1.ClusterServiceGrpc;
import dev.tally.api.v1.ClusterStatusRequest;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetManyResponse;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.client.ClusterStatus;
import dev.tally.client.Consistency;
import dev.tally.client.CounterChange;
import dev.tally.client.CounterValue;
import dev.tally.client.RequestOptions;
import dev.tally.client.TallyClient;
import dev.tally.client.TallyException;
import dev.tally.client.WatchListener;
import dev.tally.client.WatchSubscription;
import dev.tally.client.WriteOutcomeUnknownException;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link TallyClient} implementation. Internal: build clients with {@link
 * TallyClient#builder()}.
 *
 * <p>Threads: one scheduler thread ("tally-client-scheduler": retry backoffs, coalescing windows,
 * watch reconnects; its tasks never block), one DNS thread for {@code dns:///} targets (lookups
 * block), gRPC's network threads (attempt callbacks, which only complete internal futures), and
 * the callback executor (user-facing completions and watch listeners). {@code closed} is the only
 * client-wide mutable state besides the concurrent set of watches; each part states its own
 * concurrency.
 */
public final class DefaultTallyClient implements TallyClient {

  private static final Logger log = LoggerFactory.getLogger(DefaultTallyClient.class);
  private static final AtomicInteger CLIENT_IDS = new AtomicInteger();
  private static final long DNS_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final ClientSettings settings;
  private final EndpointPool pool;
  private final ScheduledThreadPoolExecutor scheduler;
  private final ScheduledExecutorService dns;
  private final AtomicBoolean dnsRefreshPending = new AtomicBoolean();
  private final Executor callbacks;
  private final ExecutorService ownedCallbacks;
  private final ClientMetrics metrics;
  private final UnaryCallRunner runner;
  private final WriteCoalescer coalescer;
  private final Set<WatchStream> watches = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private DefaultTallyClient(ClientSettings settings) {
    this.settings = settings;
    int id = CLIENT_IDS.incrementAndGet();
    ChannelFactory channels = settings.channelFactory() != null
        ? settings.channelFactory()
        : new NettyChannelFactory(settings.tls(), settings.keepAliveTime());
    if (settings.token() != null) {
      channels = settings.token().wrap(channels);
    }
    // Channels first: they may refuse the settings, and then no thread has been started yet.
    this.pool = new EndpointPool(settings.target(), channels, settings.ticker(),
        settings.endpointCoolDown().toNanos());
    this.metrics = ClientMetrics.of(settings.meterRegistry());
    this.scheduler = new ScheduledThreadPoolExecutor(1, daemon("tally-client-" + id + "-scheduler"));
    scheduler.setRemoveOnCancelPolicy(true);
    if (settings.callbackExecutor() != null) {
      this.ownedCallbacks = null;
      this.callbacks = settings.callbackExecutor();
    } else {
      this.ownedCallbacks = Executors.newCachedThreadPool(daemon("tally-client-" + id + "-callback"));
      this.callbacks = ownedCallbacks;
    }
    if (pool.isDns()) {
      this.dns = Executors.newSingleThreadScheduledExecutor(daemon("tally-client-" + id + "-dns"));
      pool.resolve();
      dns.scheduleWithFixedDelay(pool::resolve, DNS_REFRESH_NANOS, DNS_REFRESH_NANOS, TimeUnit.NANOSECONDS);
    } else {
      this.dns = null;
    }
    this.runner = new UnaryCallRunner(pool, scheduler, settings.retryPolicy(),
        new RetryTokenBucket(settings.retryBudget(), settings.ticker()), metrics,
        settings.failoverWrites(), settings.dedupeWindow().toNanos(), settings.retryListener(),
        this::requestDnsRefresh);
    this.coalescer = settings.coalescingWindow() == null
        ? null
        : new WriteCoalescer(runner, scheduler, settings.coalescingWindow().toNanos(), metrics);
  }

  /** Makes a client from validated settings. */
  public static TallyClient create(ClientSettings settings) {
    Objects.requireNonNull(settings, "settings");
    DefaultTallyClient client = new DefaultTallyClient(settings);
    log.info("Tally client for {} ({}, deadline {}, consistency {}, retries {}, write failover {}, "
            + "dedupe window {}, coalescing {})",
        settings.target(), settings.tls() == null ? "plaintext" : "TLS", settings.deadline(),
        settings.consistency(), settings.retryPolicy().maxAttempts(),
        settings.failoverWrites() ? "on" : "off", settings.dedupeWindow(),
        settings.coalescingWindow() == null ? "off" : settings.coalescingWindow());
    return client;
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private void requestDnsRefresh() {
    if (dns != null && dnsRefreshPending.compareAndSet(false, true)) {
      try {
        dns.execute(() -> {
          dnsRefreshPending.set(false);
          pool.resolve();
        });
      } catch (RejectedExecutionException e) {
        dnsRefreshPending.set(false);
      }
    }
  }

  // ------------------------------------------------------------------ calls (internal futures)

  private long deadlineNanos(RequestOptions options) {
    return System.nanoTime() + options.deadline().orElse(settings.deadline()).toNanos();
  }

  private dev.tally.api.v1.Consistency consistency(RequestOptions options) {
    return Protos.toProto(options.consistency().orElse(settings.consistency()));
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("TallyClient is closed");
    }
  }

  /** A write of one key; {@code sign} is +1 for increments and -1 for decrements. */
  private CompletableFuture<CounterValue> write(
      String key, long amount, RequestOptions options, int sign) {
    Objects.requireNonNull(options, "options");
    checkOpen();
    int keyBytes = Validation.key("key", key);
    Validation.amount(amount);
    checkPriorNodes(options);
    String requestId = options.requestId().orElse(null);
    long deadline = deadlineNanos(options);
    if (coalescer != null && requestId == null) {
      return coalescer.submit(key, sign * amount, keyBytes,
          options.consistency().orElse(settings.consistency()), deadline);
    }
    String id = requestId != null ? requestId : RequestIds.next();
    List<String> prior = options.priorNodes();
    dev.tally.api.v1.FailoverResolution resolution = resolution(options);
    if (sign > 0) {
      IncrementRequest request = IncrementRequest.newBuilder()
          .setKey(key).setAmount(amount).setRequestId(id).setConsistency(consistency(options))
          .addAllPriorNodes(prior).setFailoverResolution(resolution)
          .build();
      WriteSpec<IncrementRequest> spec = new WriteSpec<>(id, prior,
          (r, nodes) -> r.toBuilder().clearPriorNodes().addAllPriorNodes(nodes).build());
      return map(runner.call("Increment", CounterServiceGrpc.getIncrementMethod(), request, spec, deadline),
          Protos::fromProto);
    }
    DecrementRequest request = DecrementRequest.newBuilder()
        .setKey(key).setAmount(amount).setRequestId(id).setConsistency(consistency(options))
        .addAllPriorNodes(prior).setFailoverResolution(resolution)
        .build();
    WriteSpec<DecrementRequest> spec = new WriteSpec<>(id, prior,
        (r, nodes) -> r.toBuilder().clearPriorNodes().addAllPriorNodes(nodes).build());
    return map(runner.call("Decrement", CounterServiceGrpc.getDecrementMethod(), request, spec, deadline),
        Protos::fromProto);
  }

  /** Prior nodes name where an earlier call with the same id went: without an id they mean nothing. */
  private static void checkPriorNodes(RequestOptions options) {
    if (!options.priorNodes().isEmpty() && options.requestId().isEmpty()) {
      throw new IllegalArgumentException("priorNodes " + options.priorNodes()
          + " need the request id of the earlier call: add withRequestId(id)");
    }
  }

  private static dev.tally.api.v1.FailoverResolution resolution(RequestOptions options) {
    return options.failoverResolution()
        .map(r -> switch (r) {
          case AVAILABLE -> dev.tally.api.v1.FailoverResolution.FAILOVER_RESOLUTION_AVAILABLE;
          case WAIT -> dev.tally.api.v1.FailoverResolution.FAILOVER_RESOLUTION_WAIT;
        })
        .orElse(dev.tally.api.v1.FailoverResolution.FAILOVER_RESOLUTION_UNSPECIFIED);
  }

  private CompletableFuture<List<CounterValue>> incrementManyInternal(
      List<CounterChange> changes, RequestOptions options) {
    Objects.requireNonNull(options, "options");
    checkOpen();
    Validation.changes(changes);
    checkPriorNodes(options);
    String id = options.requestId().orElseGet(RequestIds::next);
    List<String> prior = options.priorNodes();
    IncrementManyRequest.Builder request = IncrementManyRequest.newBuilder()
        .setRequestId(id).setConsistency(consistency(options))
        .addAllPriorNodes(prior).setFailoverResolution(resolution(options));
    for (CounterChange c : changes) {
      request.addItemsBuilder().setKey(c.key()).setAmount(c.amount());
    }
    int expected = changes.size();
    WriteSpec<IncrementManyRequest> spec = new WriteSpec<>(id, prior,
        (r, nodes) -> r.toBuilder().clearPriorNodes().addAllPriorNodes(nodes).build());
    return map(runner.call("IncrementMany", CounterServiceGrpc.getIncrementManyMethod(),
            request.build(), spec, deadlineNanos(options)),
        r -> values(r.getValuesList(), expected));
  }

  private CompletableFuture<CounterValue> getInternal(String key, RequestOptions options) {
    Objects.requireNonNull(options, "options");
    checkOpen();
    Validation.key("key", key);
    GetRequest request = GetRequest.newBuilder().setKey(key).setConsistency(consistency(options)).build();
    return map(runner.call("Get", CounterServiceGrpc.getGetMethod(), request, null, deadlineNanos(options)),
        Protos::fromProto);
  }

  private CompletableFuture<List<CounterValue>> getManyInternal(List<String> keys, RequestOptions options) {
    Objects.requireNonNull(options, "options");
    checkOpen();
    Validation.keys("keys", keys, "GetMany");
    GetManyRequest request = GetManyRequest.newBuilder()
        .addAllKeys(keys).setConsistency(consistency(options)).build();
    int expected = keys.size();
    CompletableFuture<GetManyResponse> reply = runner.call(
        "GetMany", CounterServiceGrpc.getGetManyMethod(), request, null, deadlineNanos(options));
    return map(reply, r -> values(r.getValuesList(), expected));
  }

  private CompletableFuture<ClusterStatus> clusterStatusInternal(RequestOptions options) {
    Objects.requireNonNull(options, "options");
    checkOpen();
    return map(runner.call("ClusterStatus", ClusterServiceGrpc.getClusterStatusMethod(),
            ClusterStatusRequest.getDefaultInstance(), null, deadlineNanos(options)),
        Protos::fromProto);
  }

  /** {@code source.thenApply(fn)}, except that cancelling the result cancels {@code source}. */
  private static <A, B> CompletableFuture<B> map(CompletableFuture<A> source, Function<A, B> fn) {
    CompletableFuture<B> mapped = source.thenApply(fn);
    mapped.whenComplete((v, t) -> {
      if (mapped.isCancelled()) {
        source.cancel(false);
      }
    });
    return mapped;
  }

  private static List<CounterValue> values(List<dev.tally.api.v1.CounterValue> values, int expected) {
    if (values.size() != expected) {
      throw new TallyException(Status.Code.INTERNAL,
          "the node returned " + values.size() + " values for " + expected + " keys", null, 1, null);
    }
    return Protos.fromProto(values);
  }

  // ------------------------------------------------------------------ blocking face

  @Override
  public CounterValue increment(String key, long amount, RequestOptions options) {
    return awaitWrite(write(key, amount, options, 1), options);
  }

  @Override
  public CounterValue decrement(String key, long amount, RequestOptions options) {
    return awaitWrite(write(key, amount, options, -1), options);
  }

  @Override
  public List<CounterValue> incrementMany(List<CounterChange> changes, RequestOptions options) {
    return awaitWrite(incrementManyInternal(changes, options), options);
  }

  @Override
  public CounterValue get(String key, RequestOptions options) {
    return await(getInternal(key, options), null);
  }

  @Override
  public List<CounterValue> getMany(List<String> keys, RequestOptions options) {
    return await(getManyInternal(keys, options), null);
  }

  @Override
  public ClusterStatus clusterStatus(RequestOptions options) {
    return await(clusterStatusInternal(options), null);
  }

  private <T> T awaitWrite(CompletableFuture<T> future, RequestOptions options) {
    return await(future, options.requestId().orElse(""));
  }

  /**
   * Waits for {@code future} on the caller's thread, rethrowing its failure unchanged. If the
   * caller is interrupted the call is cancelled and, for a write ({@code writeRequestId} non-null;
   * empty when the id was generated), the outcome is unknown.
   */
  private static <T> T await(CompletableFuture<T> future, String writeRequestId) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    } catch (InterruptedException e) {
      future.cancel(false);
      Thread.currentThread().interrupt();
      String message = "interrupted while waiting for the reply";
      if (writeRequestId != null) {
        throw new WriteOutcomeUnknownException(Status.Code.CANCELLED, message, null, 0,
            writeRequestId.isEmpty() ? null : writeRequestId, e);
      }
      throw new TallyException(Status.Code.CANCELLED, message, null, 0, e);
    } catch (CancellationException e) {
      throw new TallyException(Status.Code.CANCELLED, "the call was cancelled", null, 0, e);
    }
  }

  private static RuntimeException rethrow(Throwable cause) {
    if (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof RuntimeException r) {
      return r;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    return new TallyException(Status.Code.UNKNOWN, String.valueOf(cause), null, 0, cause);
  }

  // ------------------------------------------------------------------ async face

  @Override
  public CompletableFuture<CounterValue> incrementAsync(String key, long amount, RequestOptions options) {
    return async(() -> write(key, amount, options, 1));
  }

  @Override
  public CompletableFuture<CounterValue> decrementAsync(String key, long amount, RequestOptions options) {
    return async(() -> write(key, amount, options, -1));
  }

  @Override
  public CompletableFuture<List<CounterValue>> incrementManyAsync(
      List<CounterChange> changes, RequestOptions options) {
    return async(() -> incrementManyInternal(changes, options));
  }

  @Override
  public CompletableFuture<CounterValue> getAsync(String key, RequestOptions options) {
    return async(() -> getInternal(key, options));
  }

  @Override
  public CompletableFuture<List<CounterValue>> getManyAsync(List<String> keys, RequestOptions options) {
    return async(() -> getManyInternal(keys, options));
  }

  @Override
  public CompletableFuture<ClusterStatus> clusterStatusAsync(RequestOptions options) {
    return async(() -> clusterStatusInternal(options));
  }

  /**
   * Starts a call and returns a future completed on the callback executor; input errors fail it
   * at once. Cancelling the returned future cancels the call.
   */
  private <T> CompletableFuture<T> async(Supplier<CompletableFuture<T>> start) {
    CompletableFuture<T> internal;
    try {
      internal = start.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> external = new CompletableFuture<>();
    internal.whenComplete((value, error) -> {
      Runnable complete = () -> {
        if (error == null) {
          external.complete(value);
        } else {
          external.completeExceptionally(
              error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
        }
      };
      try {
        callbacks.execute(complete);
      } catch (RejectedExecutionException e) {
        complete.run();
      }
    });
    external.whenComplete((value, error) -> {
      if (external.isCancelled()) {
        internal.cancel(false);
      }
    });
    return external;
  }

  // ------------------------------------------------------------------ watch

  @Override
  public WatchSubscription watch(Collection<String> keys, WatchListener listener) {
    Objects.requireNonNull(listener, "listener");
    List<String> unique = watchKeys(keys);
    return startWatch(unique, listener);
  }

  @Override
  public Flow.Publisher<CounterValue> watchPublisher(Collection<String> keys) {
    List<String> unique = watchKeys(keys);
    return new WatchPublisher(listener -> startWatch(unique, listener));
  }

  private List<String> watchKeys(Collection<String> keys) {
    checkOpen();
    Objects.requireNonNull(keys, "keys");
    List<String> unique = new ArrayList<>(new LinkedHashSet<>(keys));
    Validation.keys("keys", unique, "Watch");
    return List.copyOf(unique);
  }

  private WatchSubscription startWatch(List<String> keys, WatchListener listener) {
    checkOpen();
    WatchStream stream = new WatchStream(keys, listener, pool, scheduler, settings.retryPolicy(),
        settings.watchReconnectTimeout(), settings.ticker(), metrics, callbacks, watches::remove,
        this::requestDnsRefresh);
    watches.add(stream);
    if (closed.get()) {
      stream.close();
      throw new IllegalStateException("TallyClient is closed");
    }
    stream.start();
    return stream;
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (WatchStream w : List.copyOf(watches)) {
      w.close();
    }
    if (coalescer != null) {
      coalescer.close();
    }
    try {
      if (!runner.awaitIdle(settings.deadline().toNanos())) {
        runner.abortAll("the client closed before the call finished");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      runner.abortAll("the client closed before the call finished");
    }
    scheduler.shutdownNow();
    if (dns != null) {
      dns.shutdownNow();
    }
    pool.shutdown(TimeUnit.SECONDS.toNanos(1));
    if (ownedCallbacks != null) {
      ownedCallbacks.shutdown();
    }
    log.debug("Tally client for {} closed", settings.target());
  }

  /** Test seam: the endpoints and their state. */
  List<Endpoint> endpoints() {
    return pool.snapshot();
  }
}
