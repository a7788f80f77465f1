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
import java.util.Set;
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
 * </ul>
 *
 * <p>The replica thread only hands values to {@link WatchStream#offer}, which keeps at most one
 * pending value per key and never blocks: a slow watcher costs memory bounded by its key count and
 * never slows the writer.
 */
public final class WatchHub implements ReplicaListener {
  private final Scheduler scheduler;
  private final Function<String, PnCounter> reader;
  private final int maxStreams;
  private final AtomicInteger open = new AtomicInteger();
  private final Set<WatchStream> streams = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  // replica thread only
  private final Map<String, List<WatchStream>> watchers = new HashMap<>();

  /**
   * @param reader reads a key's committed state (any thread)
   * @param maxStreams concurrent streams before RESOURCE_EXHAUSTED
   */
  public WatchHub(Scheduler scheduler, Function<String, PnCounter> reader, int maxStreams, MeterRegistry registry) {
    this.scheduler = scheduler;
    this.reader = reader;
    this.maxStreams = maxStreams;
    Gauge.builder("tally.watch.streams", open, AtomicInteger::get)
        .description("Open Watch streams").register(registry);
  }

  /** gRPC thread: starts a stream for distinct, validated keys, or refuses it past the cap. */
  void open(List<String> keys, ServerCallStreamObserver<CounterValue> observer) {
    if (closed) {
      observer.onError(Status.UNAVAILABLE.withDescription("the node is shutting down; watch another node")
          .asRuntimeException());
      return;
    }
    if (open.incrementAndGet() > maxStreams) {
      open.decrementAndGet();
      observer.onError(Status.RESOURCE_EXHAUSTED.withDescription("this node already serves " + maxStreams
          + " Watch streams (max-watch-streams); retry later or watch another node").asRuntimeException());
      return;
    }
    WatchStream stream = new WatchStream(keys, observer, this::release);
    streams.add(stream);
    stream.start();
    try {
      scheduler.execute(() -> register(stream));
    } catch (RejectedExecutionException e) {
      stream.terminate(Status.UNAVAILABLE.withDescription("the node is shutting down; watch another node"));
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
            s.terminate(Status.INTERNAL.withDescription("watch stream failed: " + e));
          }
        }
      }
    }
  }

  /** Called once per stream when it ends, whichever way. */
  private void release(WatchStream stream) {
    streams.remove(stream);
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
    for (WatchStream s : List.copyOf(streams)) {
      s.terminate(Status.UNAVAILABLE.withDescription("the node is shutting down; watch another node"));
    }
  }
}
