package dev.tally.gossip.status;

import dev.tally.gossip.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the engine does when one of its scheduled tasks throws: the task is not rescheduled by the
 * exception's unwinding but by its owner as usual, so here the failure is only counted
 * ({@link ReplicationObserver#internalError}) and logged, at most one line per task every
 * {@link #LOG_INTERVAL_NANOS}, with the number of failures left unlogged since the last line. A
 * failing disk fails every round of every task; without the limit it would fill the log.
 *
 * <p>Concurrency: confined to the replica thread, like the tasks it guards.
 */
public final class InternalErrors {
  /** Building and sending delta pushes, and handling their replies. */
  public static final String TASK_DELTA_PUSH = "delta-push";
  /** Starting an anti-entropy round and each of its steps. */
  public static final String TASK_ANTI_ENTROPY = "anti-entropy";
  /** Republishing the per-peer status every gossip tick. */
  public static final String TASK_STATUS = "status";
  /** Applying a membership event. */
  public static final String TASK_MEMBERSHIP = "membership";

  /** At most one log line per task this often (10 s). */
  public static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  private static final Logger LOG = LoggerFactory.getLogger(InternalErrors.class);

  /** Per task: when its last line was logged, and how many failures since went unlogged. */
  private static final class LogWindow {
    long loggedAtNanos;
    int suppressed;
  }

  private final Clock clock;
  private final ReplicationObserver observer;
  private final Map<String, LogWindow> windows = new HashMap<>();

  public InternalErrors(Clock clock, ReplicationObserver observer) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  /** Runs one round of {@code task}; returns false when it threw (counted and logged). */
  public boolean run(String task, Runnable body) {
    try {
      body.run();
      return true;
    } catch (RuntimeException e) {
      report(task, e);
      return false;
    }
  }

  /** Counts and (rate-limited) logs one failure of {@code task}. */
  public void report(String task, Throwable error) {
    try {
      observer.internalError(task, error);
    } catch (RuntimeException e) {
      LOG.warn("replication observer failed on an internal error of {}", task, e);
    }
    long now = clock.nanoTime();
    LogWindow w = windows.get(task);
    if (w != null && now - w.loggedAtNanos < LOG_INTERVAL_NANOS) {
      w.suppressed++;
      return;
    }
    int suppressed = w == null ? 0 : w.suppressed;
    if (w == null) {
      w = new LogWindow();
      windows.put(task, w);
    }
    w.loggedAtNanos = now;
    w.suppressed = 0;
    LOG.error("internal error in the engine's {} task; it runs again next round (tally_internal_errors_total{task=\"{}\"}"
        + " counts every one; {} more since the last such line, at most one line per {} s)",
        task, task, suppressed, LOG_INTERVAL_NANOS / 1_000_000_000L, error);
  }
}
