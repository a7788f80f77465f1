package dev.tally.node.storage;

import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the store takes writes, and finding out when it does again, without a restart.
 *
 * <p>Any failed store write (the {@link RocksStateStore} reports each: client groups, peer merges,
 * dedupe sweeps) makes the store unhealthy at once; the node then refuses new writes fast with the
 * cause (instead of queueing them behind a dead disk), reports NOT_SERVING, and keeps serving
 * reads. While unhealthy, a probe write ({@link RocksStateStore#probeWrite}: small, synced, in
 * order behind every queued write) is tried after 1 s, then at doubling intervals up to 30 s. The
 * first write that succeeds (a probe, or a peer merge) makes it healthy again; RocksDB clears its
 * own background error meanwhile (see {@link RocksStateStore}). One line is logged per change of
 * state, never per write.
 *
 * <h2>Concurrency</h2>
 *
 * <ul>
 *   <li>{@link #succeeded} and {@link #failed} run on the store's writer thread, in write order, and
 *       alone set {@code problem} (volatile), so a failure after a successful probe always wins
 *       over it. They never block: they hand the rest to the health thread.
 *   <li>The one {@code tally-store-health} thread does everything else: it alone touches
 *       {@code published}, {@code backoff} and {@code probeScheduled}, logs, runs the probes and
 *       calls the listeners, one change at a time and in order, outside any lock.
 *   <li>{@link #problem} and {@link #healthy} read {@code problem} from any thread (the write path,
 *       the health endpoint, the gauge).
 * </ul>
 */
public final class StoreHealth implements RocksStateStore.WriteObserver, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreHealth.class);

  /**
   * Why the store refuses writes.
   *
   * @param kind what failed underneath
   * @param cause the latest failure's message (RocksDB's, with what was being written)
   * @param since when the store first refused a write, this time
   */
  public record Problem(StoreException.Kind kind, String cause, Instant since) {
    public Problem {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(cause, "cause");
      Objects.requireNonNull(since, "since");
    }

    /** What an operator reads first: what is wrong and what to do about it. */
    public String summary() {
      switch (kind) {
        case NO_SPACE:
          return "the data disk is full (free space on it; the node resumes writes by itself)";
        case IO:
          return "the data disk failed an I/O operation (check the disk and the kernel log; the node retries by itself)";
        case OTHER:
        default:
          return "the store failed a write (the node retries by itself)";
      }
    }

    /** The summary with the cause and since when: for status messages, logs and /health. */
    public String describe() {
      return summary() + "; refusing writes since " + since + ": " + cause;
    }
  }

  private final Supplier<CompletableFuture<?>> probe;
  private final Clock clock;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final List<Consumer<Optional<Problem>>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledThreadPoolExecutor thread;
  private volatile Problem problem;

  // health thread only
  private Problem published;
  private Duration backoff;
  private boolean probeScheduled;

  /**
   * @param probe starts a probe write; its future says how it went (the store reports the outcome
   *     to {@link #succeeded}/{@link #failed} itself, before completing it)
   * @param minBackoff the wait before the first probe after a failure
   * @param maxBackoff the longest wait between probes
   */
  public StoreHealth(Supplier<CompletableFuture<?>> probe, Clock clock, Duration minBackoff, Duration maxBackoff) {
    if (minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0) {
      throw new IllegalArgumentException("backoff must be 0 < min <= max, got " + minBackoff + " .. " + maxBackoff);
    }
    this.probe = Objects.requireNonNull(probe, "probe");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
    this.backoff = minBackoff;
    this.thread = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "tally-store-health");
      t.setDaemon(true);
      return t;
    });
    thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** Called on the health thread with the new state after each change (empty: healthy again). */
  public void addListener(Consumer<Optional<Problem>> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Any thread: why the store refuses writes now, or empty when it takes them. */
  public Optional<Problem> problem() {
    return Optional.ofNullable(problem);
  }

  public boolean healthy() {
    return problem == null;
  }

  /** Writer thread: a write succeeded, so the store takes writes. */
  @Override
  public void succeeded() {
    if (problem != null) {
      problem = null;
      post();
    }
  }

  /** Writer thread: a write failed; the store refuses writes until one succeeds. */
  @Override
  public void failed(StoreException e) {
    Problem before = problem;
    problem = new Problem(e.kind(), String.valueOf(e.getMessage()),
        before != null ? before.since() : Instant.ofEpochMilli(clock.currentTimeMillis()));
    if (before == null || before.kind() != e.kind()) {
      post();
    }
  }

  private void post() {
    try {
      thread.execute(this::publish);
    } catch (RejectedExecutionException e) {
      // closed: the node is stopping
    }
  }

  /** Health thread: logs and tells the listeners of a change since the last one, and keeps probing while unhealthy. */
  private void publish() {
    Problem now = problem;
    boolean changed = (now == null) != (published == null)
        || (now != null && published != null && now.kind() != published.kind());
    if (changed) {
      if (now == null) {
        log.info("the store takes writes again (it refused them for {} after: {}); serving writes",
            Duration.ofMillis(Math.max(0, clock.currentTimeMillis() - published.since().toEpochMilli())),
            published.summary());
        backoff = minBackoff;
      } else if (published == null) {
        log.error("the store refuses writes: {}; answering writes with {} and reporting NOT_SERVING until a probe "
            + "write succeeds (retrying every {} .. {}); reads go on", now.describe(),
            now.kind() == StoreException.Kind.NO_SPACE ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE", minBackoff, maxBackoff);
      } else {
        log.error("the store still refuses writes, now because {}", now.describe());
      }
      published = now;
      for (Consumer<Optional<Problem>> l : listeners) {
        try {
          l.accept(Optional.ofNullable(now));
        } catch (RuntimeException e) {
          log.warn("a store health listener failed", e);
        }
      }
    }
    if (now != null) {
      scheduleProbe();
    }
  }

  /** Health thread. */
  private void scheduleProbe() {
    if (probeScheduled) {
      return;
    }
    probeScheduled = true;
    Duration wait = backoff;
    backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
    try {
      thread.schedule(this::runProbe, wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      probeScheduled = false; // closed
    }
  }

  /** Health thread: one probe; its outcome reaches {@link #succeeded}/{@link #failed} first, then this thread again. */
  private void runProbe() {
    probeScheduled = false;
    if (problem == null) {
      return; // another write succeeded meanwhile
    }
    CompletableFuture<?> attempt;
    try {
      attempt = probe.get();
    } catch (RuntimeException e) {
      log.debug("starting a store probe failed: {}", e.toString());
      attempt = CompletableFuture.failedFuture(e);
    }
    attempt.whenComplete((ok, error) -> {
      if (error != null) {
        log.debug("store probe failed: {}", error.toString());
      }
      post();
    });
  }

  /** Stops probing; the listeners hear nothing more. */
  @Override
  public void close() {
    thread.shutdownNow();
  }
}
