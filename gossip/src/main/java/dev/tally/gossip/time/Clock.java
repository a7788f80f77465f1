package dev.tally.gossip.time;

/**
 * Time as the engine sees it. Nothing in {@code gossip} reads the system clock directly, so the
 * simulator can run hours of cluster time in milliseconds and replay a seed exactly.
 */
public interface Clock {
  /** Wall-clock milliseconds since the epoch; stamped on counter entries as their update time. */
  long currentTimeMillis();

  /** Monotonic nanoseconds for measuring intervals (replication lag, timeouts). */
  long nanoTime();

  Clock SYSTEM = new Clock() {
    @Override
    public long currentTimeMillis() {
      return System.currentTimeMillis();
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }
  };
}
