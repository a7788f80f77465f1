package dev.tally.gossip.sim;

import dev.tally.gossip.time.Scheduler;
import java.time.Duration;

/** One incarnation's view of the global event queue: its "replica thread". */
final class SimScheduler implements Scheduler {
  private final SimWorld world;
  private final Incarnation owner;

  SimScheduler(SimWorld world, Incarnation owner) {
    this.world = world;
    this.owner = owner;
  }

  @Override
  public void execute(Runnable task) {
    world.schedule(owner, 0, task);
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    SimWorld.Event e = world.schedule(owner, delay.toNanos(), task);
    return () -> e.cancelled = true;
  }

  @Override
  public boolean inThread() {
    return world.current() == owner;
  }
}
