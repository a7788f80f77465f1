package dev.tally.gossip.sim;

import dev.tally.gossip.time.Clock;

/**
 * One incarnation's clock over virtual time: a monotonic clock with an arbitrary origin (so the
 * engine cannot assume it starts at 0) and a wall clock skewed by a few milliseconds per node.
 */
final class SimClock implements Clock {
  /** 2026-01-01T00:00:00Z: wall-clock millis at virtual time 0. */
  static final long EPOCH_MILLIS = 1_767_225_600_000L;

  private final SimWorld world;
  private final long monotonicOrigin;
  private final long skewNanos;

  SimClock(SimWorld world, long monotonicOrigin, long skewNanos) {
    this.world = world;
    this.monotonicOrigin = monotonicOrigin;
    this.skewNanos = skewNanos;
  }

  @Override
  public long currentTimeMillis() {
    return EPOCH_MILLIS + Math.floorDiv(world.now() + skewNanos, 1_000_000L);
  }

  @Override
  public long nanoTime() {
    return monotonicOrigin + world.now();
  }
}
