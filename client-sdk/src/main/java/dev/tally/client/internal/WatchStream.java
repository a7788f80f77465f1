package dev.tally.client.internal;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.WatchRequest;
import dev.tally.client.CounterValue;
import dev.tally.client.RetryPolicy;
import dev.tally.client.TallyException;
import dev.tally.client.UnavailableException;
import dev.tally.client.WatchListener;
import dev.tally.client.WatchSubscription;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch subscription: a Watch stream to one endpoint at a time, re-established on another
 * endpoint (with backoff) whenever it is lost, until it is closed, the node refuses it for good, or
 * no endpoint has answered for longer than the reconnect timeout.
 *
 * <p>Each stream starts with the current value of every key, so whatever changed while the
 * subscription was reconnecting arrives as the new stream's first values. Flow control: the next
 * value is requested only after the listener returned from the previous one, so a slow listener
 * holds back its own stream (the node conflates changes it cannot send yet) and nothing piles up
 * in the client.
 *
 * <p>Concurrency: transport threads (stream callbacks), the scheduler (reconnects) and any thread
 * calling {@link #close()} share {@code lock}, which guards {@code stream}, {@code connected},
 * {@code done}, {@code failures}, {@code disconnectedSinceNanos}, {@code reconnect} and {@code
 * lastEndpoint}. gRPC calls and listener calls are made outside it. Listener calls run on {@code
 * delivery}, which serialises them on the callback executor; {@code userClosed} (volatile) stops
 * them once {@link #close()} returned.
 */
final class WatchStream implements WatchSubscription {

  private static final Logger log = LoggerFactory.getLogger(WatchStream.class);

  private final WatchRequest request;
  private final WatchListener listener;
  private final EndpointPool pool;
  private final ScheduledExecutorService scheduler;
  private final RetryPolicy backoff;
  private final long reconnectTimeoutNanos;
  private final Duration reconnectTimeout;
  private final LongSupplier ticker;
  private final ClientMetrics metrics;
  private final Executor delivery;
  private final Consumer<WatchStream> onEnd;
  private final Runnable noEndpoint;
  private final Object lock = new Object();

  private Stream stream;
  private boolean connected;
  private boolean done;
  private int failures;
  private long disconnectedSinceNanos;
  private boolean disconnected;
  private ScheduledFuture<?> reconnect;
  private Endpoint lastEndpoint;
  private volatile boolean userClosed;

  WatchStream(
      List<String> keys,
      WatchListener listener,
      EndpointPool pool,
      ScheduledExecutorService scheduler,
      RetryPolicy backoff,
      Duration reconnectTimeout,
      LongSupplier ticker,
      ClientMetrics metrics,
      Executor callbackExecutor,
      Consumer<WatchStream> onEnd,
      Runnable noEndpoint) {
    this.request = WatchRequest.newBuilder().addAllKeys(keys).build();
    this.listener = listener;
    this.pool = pool;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.reconnectTimeout = reconnectTimeout;
    this.reconnectTimeoutNanos = reconnectTimeout.toNanos();
    this.ticker = ticker;
    this.metrics = metrics;
    this.delivery = new SerializingExecutor(callbackExecutor);
    this.onEnd = onEnd;
    this.noEndpoint = noEndpoint;
  }

  void start() {
    connect();
  }

  private void connect() {
    Endpoint avoid;
    synchronized (lock) {
      if (done) {
        return;
      }
      reconnect = null;
      avoid = lastEndpoint;
    }
    Endpoint endpoint = pool.pick(avoid);
    if (endpoint == null) {
      noEndpoint.run();
      onStreamEnded(null, null, Status.UNAVAILABLE.withDescription(
          "no address known yet for " + pool.target()));
      return;
    }
    ClientCall<WatchRequest, dev.tally.api.v1.CounterValue> call =
        endpoint.channel().newCall(CounterServiceGrpc.getWatchMethod(), CallOptions.DEFAULT);
    Stream s = new Stream(endpoint, call);
    synchronized (lock) {
      if (done) {
        return;
      }
      stream = s;
      lastEndpoint = endpoint;
    }
    try {
      call.start(s, new Metadata());
      call.sendMessage(request);
      call.halfClose();
      call.request(1);
    } catch (RuntimeException e) {
      call.cancel("the client could not start the watch", e);
    }
    boolean cancelNow;
    synchronized (lock) {
      cancelNow = done;
    }
    if (cancelNow) {
      call.cancel("watch closed", null);
    }
  }

  /** The listener of one stream; callbacks of a stream that is no longer current are ignored. */
  private final class Stream extends ClientCall.Listener<dev.tally.api.v1.CounterValue> {
    final Endpoint endpoint;
    final ClientCall<WatchRequest, dev.tally.api.v1.CounterValue> call;

    Stream(Endpoint endpoint, ClientCall<WatchRequest, dev.tally.api.v1.CounterValue> call) {
      this.endpoint = endpoint;
      this.call = call;
    }

    @Override
    public void onHeaders(Metadata headers) {
      synchronized (lock) {
        if (stream != this || done) {
          return;
        }
        connected = true;
        failures = 0;
        disconnected = false;
      }
      pool.markHealthy(endpoint);
      deliver(() -> listener.onConnected(endpoint.name()));
    }

    @Override
    public void onMessage(dev.tally.api.v1.CounterValue message) {
      CounterValue value = Protos.fromProto(message);
      deliver(() -> {
        listener.onValue(value);
        call.request(1);
      });
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      onStreamEnded(this, endpoint, status);
    }
  }

  private void onStreamEnded(Stream s, Endpoint endpoint, Status status) {
    boolean wasConnected;
    synchronized (lock) {
      if (s != null && stream != s) {
        return;
      }
      stream = null;
      if (done) {
        return;
      }
      wasConnected = connected;
      connected = false;
    }
    Status.Code code = status.getCode();
    if (!status.isOk() && !Failures.isTransient(code)) {
      terminate(Failures.definite(status, endpoint == null ? null : endpoint.name(), 1));
      return;
    }
    // A stream the node ended cleanly (it is shutting down) is lost like any other.
    if (endpoint != null) {
      pool.markFailed(endpoint);
    }
    if (wasConnected) {
      metrics.watchReconnect();
      TallyException cause = status.isOk()
          ? new UnavailableException(Status.Code.UNAVAILABLE, "the node ended the watch stream",
              endpoint.name(), 1, false, null)
          : Failures.unavailable(status, endpoint == null ? null : endpoint.name(), 1, false);
      log.debug("Watch stream to {} lost ({}); reconnecting", endpoint, status);
      deliver(() -> listener.onDisconnected(endpoint.name(), cause));
    }
    scheduleReconnect(endpoint, status);
  }

  private void scheduleReconnect(Endpoint endpoint, Status last) {
    TallyException giveUp = null;
    synchronized (lock) {
      if (done) {
        return;
      }
      long now = ticker.getAsLong();
      if (!disconnected) {
        disconnected = true;
        disconnectedSinceNanos = now;
      }
      if (now - disconnectedSinceNanos >= reconnectTimeoutNanos) {
        giveUp = new UnavailableException(
            last.isOk() ? Status.Code.UNAVAILABLE : last.getCode(),
            "watch found no endpoint for " + reconnectTimeout + " (" + failures
                + " reconnect attempts); last error: " + (last.isOk() ? "stream ended" : Failures.describe(last)),
            endpoint == null ? null : endpoint.name(),
            failures + 1,
            false,
            last.getCause());
      } else {
        failures++;
        long delay = Backoff.delayNanos(backoff, failures, ThreadLocalRandom.current());
        delay = Math.min(delay, Math.max(0, disconnectedSinceNanos + reconnectTimeoutNanos - now));
        try {
          reconnect = scheduler.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
          return; // the client is closing
        }
      }
    }
    if (giveUp != null) {
      terminate(giveUp);
    }
  }

  private void terminate(TallyException error) {
    Stream s;
    synchronized (lock) {
      if (done) {
        return;
      }
      done = true;
      s = stream;
      stream = null;
      if (reconnect != null) {
        reconnect.cancel(false);
      }
    }
    if (s != null) {
      s.call.cancel("watch ended", error);
    }
    log.warn("Watch of {} key(s) ended: {}", request.getKeysCount(), error.getMessage());
    onEnd.accept(this);
    deliver(() -> listener.onError(error));
  }

  private void deliver(Runnable event) {
    delivery.execute(() -> {
      if (userClosed) {
        return;
      }
      try {
        event.run();
      } catch (RuntimeException | Error e) {
        log.warn("Watch listener threw; ending the subscription", e);
        boolean wasDone;
        synchronized (lock) {
          wasDone = done;
        }
        if (!wasDone) {
          terminate(new TallyException(Status.Code.CANCELLED, "the watch listener threw " + e,
              null, 0, e));
        }
      }
    });
  }

  @Override
  public void close() {
    userClosed = true;
    Stream s;
    synchronized (lock) {
      if (done) {
        return;
      }
      done = true;
      s = stream;
      stream = null;
      if (reconnect != null) {
        reconnect.cancel(false);
      }
    }
    if (s != null) {
      s.call.cancel("watch closed", null);
    }
    onEnd.accept(this);
  }

  @Override
  public boolean isActive() {
    synchronized (lock) {
      return !done;
    }
  }

  @Override
  public Optional<String> connectedEndpoint() {
    synchronized (lock) {
      return connected && stream != null ? Optional.of(stream.endpoint.name()) : Optional.empty();
    }
  }
}
