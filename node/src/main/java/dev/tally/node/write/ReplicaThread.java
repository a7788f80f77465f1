package dev.tally.node.write;

import dev.tally.gossip.time.Scheduler;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica's one platform thread: the engine's {@link Scheduler} in the node. Group commits,
 * dedupe sweeps, Watch registrations and (later) replication all run here, one task at a time, so
 * the engine and the writer keep their state without locks.
 *
 * <p>A task that throws is logged and the thread carries on: bad input or a failed disk write must
 * never stop the node's only writer.
 */
public final class ReplicaThread implements Scheduler, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaThread.class);

  private final ScheduledThreadPoolExecutor executor;
  private volatile Thread thread;

  public ReplicaThread(String name) {
    executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      thread = t;
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    executor.prestartCoreThread();
  }

  /** @throws RejectedExecutionException after {@link #close} */
  @Override
  public void execute(Runnable task) {
    executor.execute(guarded(task));
  }

  /** @throws RejectedExecutionException after {@link #close} */
  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    ScheduledFuture<?> f = executor.schedule(guarded(task), delay.toNanos(), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  @Override
  public boolean inThread() {
    return Thread.currentThread() == thread;
  }

  /** Runs the tasks already queued, drops scheduled ones, and waits (bounded) for the thread to end. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("replica thread did not finish its queued tasks within 10s");
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
  }

  private static Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | AssertionError e) {
        log.error("task on the replica thread failed; carrying on", e);
      }
    };
  }
}
