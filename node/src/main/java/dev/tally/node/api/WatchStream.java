package dev.tally.node.api;

import dev.tally.api.v1.CounterValue;
import dev.tally.gossip.crdt.PnCounter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One Watch call: the latest not-yet-sent state per key, drained to gRPC only while the call is
 * ready (flow control), so a slow reader gets the newest value of each key instead of a backlog.
 *
 * <h2>Concurrency</h2>
 *
 * <ul>
 *   <li>{@code pending}, {@code offered}, {@code terminal}, {@code behind} and {@code cancelledByClient} are guarded by {@code lock}; {@link #offer} (replica
 *       thread) and {@link #terminate} (any thread) hold it only to update them.
 *   <li>The observer is called only by {@link #drain}, which {@code wip} serialises: whichever
 *       thread (replica thread after an offer, event loop on ready) increments it from zero drains
 *       for everyone, and never while holding {@code lock}.
 *   <li>{@code finished} is read and written only inside a drain.
 * </ul>
 */
final class WatchStream {
  private final List<String> keys;
  private final ServerCallStreamObserver<CounterValue> observer;
  private final Consumer<WatchStream> onEnd;
  private final Object lock = new Object();
  private final Map<String, PnCounter> pending = new LinkedHashMap<>();
  /** Per key, the join of everything offered so far: what the client has been, or will be, sent. */
  private final Map<String, PnCounter> offered = new HashMap<>();
  private Status terminal;
  private final int maxPendingUpdates;
  /** Updates offered since the client last took one (guarded by {@code lock}). */
  private int behind;
  private boolean cancelledByClient;
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicBoolean ended = new AtomicBoolean();
  private boolean finished;

  WatchStream(List<String> keys, ServerCallStreamObserver<CounterValue> observer, Consumer<WatchStream> onEnd) {
    this(keys, observer, onEnd, Integer.MAX_VALUE);
  }

  /**
   * @param maxPendingUpdates updates offered since the last one sent before the stream is ended
   *     with RESOURCE_EXHAUSTED: a client that stops reading holds its stream (and the node's
   *     slot) only this long, not for ever
   */
  WatchStream(List<String> keys, ServerCallStreamObserver<CounterValue> observer, Consumer<WatchStream> onEnd,
      int maxPendingUpdates) {
    this.maxPendingUpdates = maxPendingUpdates;
    this.keys = keys;
    this.observer = observer;
    this.onEnd = onEnd;
  }

  /** gRPC thread, inside the call's handler: hooks flow control and cancellation. */
  void start() {
    observer.setOnReadyHandler(this::drain);
    observer.setOnCancelHandler(this::cancelled);
  }

  /** Event loop: the client went away; drop everything and never call the observer again. */
  private void cancelled() {
    synchronized (lock) {
      terminal = Status.CANCELLED;
      cancelledByClient = true;
      pending.clear();
      offered.clear();
    }
    end();
  }

  List<String> keys() {
    return keys;
  }

  boolean isEnded() {
    return ended.get();
  }

  /**
   * Replica thread: the key's newest state replaces any unsent one. Never blocks.
   *
   * <p>States do not arrive in causal order: the registration snapshot reads the store, which shows a
   * write once it is durable, while the replica publishes durable writes a moment later, oldest
   * first. So a state the stream has already moved past is dropped, and a concurrent one is joined
   * with what was offered before; either way the client only ever sees the count move forward.
   */
  void offer(String key, PnCounter state) {
    synchronized (lock) {
      if (terminal != null) {
        return;
      }
      PnCounter before = offered.get(key);
      if (before != null) {
        if (before.covers(state)) {
          return;
        }
        state = before.merge(state);
      }
      offered.put(key, state);
      pending.put(key, state);
      if (++behind > maxPendingUpdates) {
        // Values coalesce per key, so memory stays bounded; but a client this far behind is not
        // reading, and the stream would hold its slot for ever.
        terminal = Status.RESOURCE_EXHAUSTED.withDescription("this Watch stream fell " + behind + " updates behind"
            + " (max-watch-pending-updates is " + maxPendingUpdates + "): read faster, or watch fewer keys per stream");
        pending.clear();
        offered.clear();
      }
    }
    drain();
  }

  /** Any thread: ends the stream with this status; unsent values are dropped. */
  void terminate(Status status) {
    synchronized (lock) {
      if (terminal != null) {
        return;
      }
      terminal = status;
      pending.clear();
      offered.clear();
    }
    drain();
  }

  private void drain() {
    if (wip.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    do {
      drainOnce();
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  private void drainOnce() {
    while (!finished) {
      boolean ready = observer.isReady();
      String key = null;
      PnCounter state = null;
      Status end;
      boolean silent;
      synchronized (lock) {
        end = terminal;
        silent = cancelledByClient;
        if (end == null && ready && !pending.isEmpty()) {
          Iterator<Map.Entry<String, PnCounter>> it = pending.entrySet().iterator();
          Map.Entry<String, PnCounter> first = it.next();
          key = first.getKey();
          state = first.getValue();
          it.remove();
        }
      }
      if (end != null) {
        finished = true;
        if (silent) {
          return;
        }
        try {
          if (end.isOk()) {
            observer.onCompleted();
          } else {
            observer.onError(end.asRuntimeException());
          }
        } catch (RuntimeException e) {
          // already closed by the transport; nothing left to tell the client
        }
        end();
        return;
      }
      if (key == null) {
        return; // nothing to send, or not ready: onReady or the next offer drains again
      }
      CounterValue value;
      try {
        value = CounterValues.of(key, state);
      } catch (StatusRuntimeException e) {
        terminate(e.getStatus());
        continue;
      }
      try {
        observer.onNext(value);
        synchronized (lock) {
          behind = 0;
        }
      } catch (RuntimeException e) {
        // The call is gone underneath us (closed by the transport): stop quietly.
        finished = true;
        end();
        return;
      }
    }
  }

  private void end() {
    if (ended.compareAndSet(false, true)) {
      onEnd.accept(this);
    }
  }
}
