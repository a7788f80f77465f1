package dev.tally.gossip.testing;

import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/**
 * A single-threaded virtual-time event loop for engine tests: each node's {@link Scheduler} is a
 * view of one queue (its "replica thread" is the set of tasks it owns), and time moves only when a
 * test calls {@link #runFor}. No sleeping, no threads.
 */
public final class VirtualTime {
  /** Wall-clock millis at virtual time 0. */
  public static final long EPOCH_MILLIS = 1_767_225_600_000L;

  private record Task(long time, long seq, String owner, Runnable action, boolean[] cancelled) {}

  private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) ->
      a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
  private long now;
  private long seq;
  private String current;
  private boolean carryOn;
  private final java.util.List<Throwable> thrown = new java.util.ArrayList<>();

  public long nowNanos() {
    return now;
  }

  public Clock clock() {
    return new Clock() {
      @Override
      public long currentTimeMillis() {
        return EPOCH_MILLIS + now / 1_000_000;
      }

      @Override
      public long nanoTime() {
        return now;
      }
    };
  }

  /** The replica thread of {@code owner}. */
  public Scheduler scheduler(String owner) {
    return new Scheduler() {
      @Override
      public void execute(Runnable task) {
        enqueue(owner, 0, task);
      }

      @Override
      public Cancellable schedule(Duration delay, Runnable task) {
        boolean[] cancelled = enqueue(owner, delay.toNanos(), task);
        return () -> cancelled[0] = true;
      }

      @Override
      public boolean inThread() {
        return owner.equals(current);
      }
    };
  }

  /** Queues a task owned by {@code owner} (null: "the network", nobody's replica thread). */
  public boolean[] enqueue(String owner, long delayNanos, Runnable task) {
    boolean[] cancelled = {false};
    queue.add(new Task(now + Math.max(0, delayNanos), seq++, owner, task, cancelled));
    return cancelled;
  }

  /**
   * From now on a task that throws is recorded ({@link #thrown}) and the loop carries on, as the
   * node's replica thread logs and carries on; by default the exception ends the test.
   */
  public void carryOnAfterFailures() {
    carryOn = true;
  }

  /** What tasks threw while {@link #carryOnAfterFailures} was on. */
  public java.util.List<Throwable> thrown() {
    return thrown;
  }

  private void runTask(Task t) {
    try {
      runAs(t.owner, t.action);
    } catch (RuntimeException e) {
      if (!carryOn) {
        throw e;
      }
      thrown.add(e);
    }
  }

  /** Runs {@code action} now on {@code owner}'s replica thread (e.g. a prepare/commit pair). */
  public void runAs(String owner, Runnable action) {
    String previous = current;
    current = owner;
    try {
      action.run();
    } finally {
      current = previous;
    }
  }

  /** Runs every task due within {@code d}, then sets the time to now + d. */
  public void runFor(Duration d) {
    long until = now + d.toNanos();
    while (!queue.isEmpty() && queue.peek().time <= until) {
      Task t = queue.poll();
      if (t.cancelled[0]) {
        continue;
      }
      now = t.time;
      runTask(t);
    }
    now = until;
  }

  /** Runs until {@code done} holds, checking after every task, for at most {@code limit}; returns whether it held. */
  public boolean runUntil(BooleanSupplier done, Duration limit) {
    long until = now + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (queue.isEmpty() || queue.peek().time > until) {
        now = until;
        return done.getAsBoolean();
      }
      Task t = queue.poll();
      if (t.cancelled[0]) {
        continue;
      }
      now = t.time;
      runTask(t);
    }
    return true;
  }
}
