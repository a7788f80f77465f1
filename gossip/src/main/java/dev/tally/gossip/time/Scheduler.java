package dev.tally.gossip.time;

import java.time.Duration;

/**
 * The replica's single thread of control. Every task given to one scheduler runs on the same
 * logical thread, one at a time, in submission order for {@link #execute} and in deadline order
 * for {@link #schedule}; that is what lets the engine keep its state without locks. The node backs
 * it with one platform thread (the group-commit writer); the simulator with its event queue.
 */
public interface Scheduler {
  /** Runs the task on the replica thread as soon as possible. Callable from any thread. */
  void execute(Runnable task);

  /** Runs the task on the replica thread after the delay. Callable from any thread. */
  Cancellable schedule(Duration delay, Runnable task);

  /** True when the caller is on this scheduler's thread (used for assertions). */
  boolean inThread();

  /** A scheduled task that may be called off. */
  interface Cancellable {
    /** Prevents the task from running if it has not started; harmless if it has. */
    void cancel();
  }
}
