package dev.tally.client.internal;

import dev.tally.client.CounterValue;
import dev.tally.client.TallyException;
import dev.tally.client.WatchListener;
import dev.tally.client.WatchSubscription;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Flow.Publisher} face of a watch. Every subscriber gets its own watch subscription. While
 * a subscriber has no outstanding demand, values are conflated per key (only the latest value of
 * each key waits), so a slow subscriber costs at most one value per watched key and still receives
 * every key's latest value. Terminal errors arrive as {@code onError}; the stream never completes
 * on its own.
 */
final class WatchPublisher implements Flow.Publisher<CounterValue> {

  private final Function<WatchListener, WatchSubscription> watch;

  /** @param watch starts a watch subscription delivering to the given listener */
  WatchPublisher(Function<WatchListener, WatchSubscription> watch) {
    this.watch = watch;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super CounterValue> subscriber) {
    Objects.requireNonNull(subscriber, "subscriber");
    Bridge bridge = new Bridge(subscriber);
    subscriber.onSubscribe(bridge);
    bridge.start(watch);
  }

  /**
   * Connects one subscriber to one watch.
   *
   * <p>Concurrency: the watch's delivery thread adds values and errors, subscriber threads request
   * and cancel; {@code this} guards {@code pending}, {@code demand}, {@code error}, {@code
   * cancelled} and {@code subscription}. Signals to the subscriber are emitted outside the lock by
   * one drainer at a time ({@code wip}), as Reactive Streams requires (§1.3), including when the
   * subscriber requests more from inside {@code onNext} (§3.3).
   */
  private static final class Bridge implements Flow.Subscription, WatchListener {
    private static final Logger log = LoggerFactory.getLogger(Bridge.class);

    private final Flow.Subscriber<? super CounterValue> subscriber;
    private final AtomicInteger wip = new AtomicInteger();
    private final Map<String, CounterValue> pending = new LinkedHashMap<>();
    private long demand;
    private Throwable error;
    private boolean terminated;
    private boolean cancelled;
    private WatchSubscription subscription;

    Bridge(Flow.Subscriber<? super CounterValue> subscriber) {
      this.subscriber = subscriber;
    }

    void start(Function<WatchListener, WatchSubscription> watch) {
      synchronized (this) {
        if (cancelled) {
          return;
        }
      }
      WatchSubscription s;
      try {
        s = watch.apply(this);
      } catch (RuntimeException e) {
        fail(e); // e.g. the client closed since the publisher was made (Reactive Streams §1.9)
        return;
      }
      boolean closeNow;
      synchronized (this) {
        subscription = s;
        closeNow = cancelled;
      }
      if (closeNow) {
        s.close();
      }
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        fail(new IllegalArgumentException("request must be positive (Reactive Streams §3.9), got " + n));
        return;
      }
      synchronized (this) {
        demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
      }
      drain();
    }

    @Override
    public void cancel() {
      WatchSubscription s;
      synchronized (this) {
        cancelled = true;
        pending.clear();
        s = subscription;
      }
      if (s != null) {
        s.close();
      }
    }

    @Override
    public void onValue(CounterValue value) {
      synchronized (this) {
        if (cancelled || terminated) {
          return;
        }
        // Re-insert so that waiting keys leave in the order of their latest change.
        pending.remove(value.key());
        pending.put(value.key(), value);
      }
      drain();
    }

    @Override
    public void onError(TallyException e) {
      fail(e);
    }

    private void fail(Throwable e) {
      WatchSubscription s;
      synchronized (this) {
        if (error != null || cancelled) {
          return;
        }
        error = e;
        s = subscription;
      }
      if (s != null) {
        s.close();
      }
      drain();
    }

    private void drain() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      do {
        while (true) {
          CounterValue next = null;
          Throwable terminal = null;
          synchronized (this) {
            if (cancelled || terminated) {
              pending.clear();
              break;
            }
            if (demand > 0 && !pending.isEmpty() && error == null) {
              Iterator<CounterValue> it = pending.values().iterator();
              next = it.next();
              it.remove();
              demand--;
            } else if (error != null) {
              terminated = true;
              terminal = error;
              pending.clear();
            } else {
              break;
            }
          }
          if (terminal != null) {
            subscriber.onError(terminal);
            break;
          }
          try {
            subscriber.onNext(next);
          } catch (RuntimeException e) {
            log.warn("Flow subscriber threw from onNext (Reactive Streams §2.13); cancelling", e);
            cancel();
            break;
          }
        }
      } while (wip.decrementAndGet() != 0);
    }
  }
}
