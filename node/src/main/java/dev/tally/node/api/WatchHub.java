package dev.tally.node.api;

import dev.tally.api.v1.CounterValue;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.engine.ReplicaListener;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.time.Scheduler;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Fans every durable counter change out to the Watch streams of its key.
 *
 * <h2>Concurrency</h2>
 *
 * <ul>
 *   <li>{@code watchers} (key -> streams) is confined to the replica thread: registration,
 *       removal and {@link #onChanged} all run there. Registering there also makes a stream's
 *       initial snapshot atomic with respect to changes: no change can slip between the snapshot
 *       and the subscription, and no older snapshot can overwrite a newer change.
 *   <li>{@code open} (the stream count) and {@code streams} (for shutdown) are concurrent; they are
 *       touched by gRPC threads opening and cancelling streams and by {@link #closeAll}.
 *   <li>{@code byConnection} and {@code byPrincipal} (streams and keys held against the
 *       per-connection and per-principal limits) are guarded by {@code usage}, held only to check
 *       and update them when a stream opens or ends.
 * </ul>
 *
 * <p>The replica thread only hands values to {@link WatchStream#offer}, which keeps at most one
 * pending value per key and never blocks: a slow watcher costs memory bounded by its key count and
 * never slows the writer, and one that falls maxPendingUpdates behind is dropped.
 */
public final class WatchHub implements ReplicaListener {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WatchHub.class);

  private final Scheduler scheduler;
  private final Function<String, PnCounter> reader;
  private final WatchLimits limits;
  private final int maxStreams;
  private final AtomicInteger open = new AtomicInteger();
  /** Open streams and whose they are (for shutdown and for releasing their share of the limits). */
  private final Map<WatchStream, Owner> streams = new ConcurrentHashMap<>();
  private volatile boolean closed;
  /** Streams and keys per connection and per principal: {streams, keys}. Guarded by {@code usage}. */
  private final Map<String, int[]> byConnection = new HashMap<>();
  private final Map<String, int[]> byPrincipal = new HashMap<>();
  private final Object usage = new Object();

  // replica thread only
  private final Map<String, List<WatchStream>> watchers = new HashMap<>();

  /** Whose a stream is: what it holds of its connection's and principal's limits. */
  private record Owner(String connection, String principal, int keys) {}

  /**
   * @param reader reads a key's committed state (any thread)
   * @param maxStreams concurrent streams before RESOURCE_EXHAUSTED
   */
  public WatchHub(Scheduler scheduler, Function<String, PnCounter> reader, int maxStreams, MeterRegistry registry) {
    this(scheduler, reader, WatchLimits.nodeWide(maxStreams), registry);
  }

  /** @param reader reads a key's committed state (any thread) */
  public WatchHub(Scheduler scheduler, Function<String, PnCounter> reader, WatchLimits limits, MeterRegistry registry) {
    this.scheduler = scheduler;
    this.reader = reader;
    this.limits = limits;
    this.maxStreams = limits.maxStreams();
    Gauge.builder("tally.watch.streams", open, AtomicInteger::get)
        .description("Open Watch streams").register(registry);
  }

  /**
   * gRPC thread, in the call's handler (its context names the connection and principal): starts a
   * stream for distinct, validated keys, or refuses it past a cap.
   */
  void open(List<String> keys, ServerCallStreamObserver<CounterValue> observer) {
    if (closed) {
      observer.onError(Status.UNAVAILABLE.withDescription("the node is shutting down; watch another node")
          .asRuntimeException());
      return;
    }
    Owner owner = new Owner(CallConnection.current(), CallPrincipal.current(), keys.size());
    String refused = reserve(owner);
    if (refused != null) {
      observer.onError(Status.RESOURCE_EXHAUSTED.withDescription(refused).asRuntimeException());
      return;
    }
    if (open.incrementAndGet() > maxStreams) {
      open.decrementAndGet();
      unreserve(owner);
      observer.onError(Status.RESOURCE_EXHAUSTED.withDescription("this node already serves " + maxStreams
          + " Watch streams (max-watch-streams); retry later or watch another node").asRuntimeException());
      return;
    }
    WatchStream stream = new WatchStream(keys, observer, this::release, limits.maxPendingUpdates());
    streams.put(stream, owner);
    stream.start();
    try {
      scheduler.execute(() -> register(stream));
    } catch (RejectedExecutionException e) {
      stream.terminate(Status.UNAVAILABLE.withDescription("the node is shutting down; watch another node"));
    }
  }

  /** Takes the stream's share of its connection's and principal's limits, or says which it would pass. */
  private String reserve(Owner owner) {
    boolean perPrincipal = !owner.principal().equals(CallPrincipal.ANONYMOUS);
    synchronized (usage) {
      int[] c = byConnection.getOrDefault(owner.connection(), new int[2]);
      if (c[0] >= limits.streamsPerConnection()) {
        return "this connection already has " + c[0] + " Watch streams open (max-watch-streams-per-connection is "
            + limits.streamsPerConnection() + "); end one before opening another";
      }
      if ((long) c[1] + owner.keys() > limits.keysPerConnection()) {
        return "this connection already watches " + c[1] + " keys; " + owner.keys() + " more would pass"
            + " max-watch-keys-per-connection (" + limits.keysPerConnection() + ")";
      }
      int[] p = byPrincipal.getOrDefault(owner.principal(), new int[2]);
      if (perPrincipal) {
        if (p[0] >= limits.streamsPerPrincipal()) {
          return "principal '" + owner.principal() + "' already has " + p[0] + " Watch streams open"
              + " (max-watch-streams-per-principal is " + limits.streamsPerPrincipal() + "); end one before opening another";
        }
        if ((long) p[1] + owner.keys() > limits.keysPerPrincipal()) {
          return "principal '" + owner.principal() + "' already watches " + p[1] + " keys; " + owner.keys()
              + " more would pass max-watch-keys-per-principal (" + limits.keysPerPrincipal() + ")";
        }
        byPrincipal.put(owner.principal(), new int[] {p[0] + 1, p[1] + owner.keys()});
      }
      byConnection.put(owner.connection(), new int[] {c[0] + 1, c[1] + owner.keys()});
      return null;
    }
  }

  private void unreserve(Owner owner) {
    synchronized (usage) {
      release(byConnection, owner.connection(), owner.keys());
      if (!owner.principal().equals(CallPrincipal.ANONYMOUS)) {
        release(byPrincipal, owner.principal(), owner.keys());
      }
    }
  }

  private static void release(Map<String, int[]> usage, String who, int keys) {
    int[] u = usage.get(who);
    if (u == null) {
      return;
    }
    if (u[0] <= 1) {
      usage.remove(who);
    } else {
      usage.put(who, new int[] {u[0] - 1, u[1] - keys});
    }
  }

  /** Replica thread: subscribes, then queues the current value of every key. */
  private void register(WatchStream stream) {
    if (stream.isEnded()) {
      return;
    }
    for (String key : stream.keys()) {
      watchers.computeIfAbsent(key, k -> new ArrayList<>(1)).add(stream);
    }
    try {
      for (String key : stream.keys()) {
        stream.offer(key, reader.apply(key));
      }
    } catch (StoreException e) {
      stream.terminate(Status.UNAVAILABLE.withDescription("this node could not read its store: " + e.getMessage()));
    }
  }

  /** Replica thread: drops an ended stream's subscriptions. */
  private void unregister(WatchStream stream) {
    for (String key : stream.keys()) {
      List<WatchStream> list = watchers.get(key);
      if (list != null && list.remove(stream) && list.isEmpty()) {
        watchers.remove(key);
      }
    }
  }

  /** Replica thread (the engine calls it after every durable change). */
  @Override
  public void onChanged(List<KeyState> changed) {
    if (watchers.isEmpty()) {
      return;
    }
    for (KeyState ks : changed) {
      List<WatchStream> list = watchers.get(ks.key());
      if (list != null) {
        for (WatchStream s : list) {
          try {
            s.offer(ks.key(), ks.state());
          } catch (RuntimeException e) {
            // One broken stream must not fail the writer's commit or the other watchers.
            LOG.error("a watch stream failed", e);
            s.terminate(Status.INTERNAL.withDescription("watch stream failed: " + CounterServiceImpl.INTERNAL_ERROR));
          }
        }
      }
    }
  }

  /** Called once per stream when it ends, whichever way. */
  private void release(WatchStream stream) {
    Owner owner = streams.remove(stream);
    if (owner != null) {
      unreserve(owner);
    }
    open.decrementAndGet();
    try {
      scheduler.execute(() -> unregister(stream));
    } catch (RejectedExecutionException e) {
      // The replica thread is gone, and the subscriptions with it.
    }
  }

  /** Open streams now. */
  public int openStreams() {
    return open.get();
  }

  /** Ends every stream with UNAVAILABLE and refuses new ones (node shutdown). */
  public void closeAll() {
    closed = true;
    for (WatchStream s : List.copyOf(streams.keySet())) {
      s.terminate(Status.UNAVAILABLE.withDescription("the node is shutting down; watch another node"));
    }
  }
}
