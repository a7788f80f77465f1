package dev.tally.gossip.sim;

import java.io.PrintStream;
import java.util.PriorityQueue;

/**
 * The simulator's one global event queue and virtual clock. Time advances only by taking the next
 * event; nothing reads the wall clock and nothing runs on another thread, so one seed replays one
 * run exactly.
 *
 * <p>Each event is owned by a node incarnation (or by the world itself, for the network, the
 * workload driver and the nemesis); events of an incarnation that has crashed are skipped, which
 * is how a crash loses every timer, queued task and message of the volatile engine.
 */
final class SimWorld {

  /** A queued action. Ordered by time, then by the order it was scheduled (FIFO at equal times). */
  static final class Event {
    final long time;
    final long seq;
    final Incarnation owner;
    final Runnable action;
    boolean cancelled;

    Event(long time, long seq, Incarnation owner, Runnable action) {
      this.time = time;
      this.seq = seq;
      this.owner = owner;
      this.action = action;
    }
  }

  private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
      a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
  private final boolean tracing;
  private final PrintStream out;
  private long now;
  private long seq;
  private long processed;
  private Incarnation current;
  private String failure;

  SimWorld(boolean tracing, PrintStream out) {
    this.tracing = tracing;
    this.out = out;
  }

  long now() {
    return now;
  }

  long processed() {
    return processed;
  }

  /** The incarnation whose event is running, null for world events. */
  Incarnation current() {
    return current;
  }

  Event schedule(Incarnation owner, long delayNanos, Runnable action) {
    Event e = new Event(now + Math.max(0, delayNanos), seq++, owner, action);
    queue.add(e);
    return e;
  }

  /** Runs events up to and including {@code time}, stopping early on a failure. */
  void runUntil(long time) {
    while (failure == null) {
      Event e = queue.peek();
      if (e == null || e.time > time) {
        break;
      }
      queue.poll();
      if (e.cancelled || (e.owner != null && !e.owner.alive)) {
        continue;
      }
      now = e.time;
      current = e.owner;
      processed++;
      try {
        e.action.run();
      } catch (Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        fail("uncaught exception in " + (e.owner == null ? "the world" : e.owner) + ": " + w);
      } finally {
        current = null;
      }
    }
    if (failure == null) {
      now = Math.max(now, time);
    }
  }

  /** Records the first broken invariant; the run stops at the end of the current event. */
  void fail(String message) {
    if (failure == null) {
      failure = "t=" + time(now) + " " + message;
      trace("world", "FAILURE " + message);
    }
  }

  String failure() {
    return failure;
  }

  boolean tracing() {
    return tracing;
  }

  void trace(String who, String message) {
    if (tracing) {
      out.println("[" + time(now) + "] " + who + ": " + message);
    }
  }

  /** Traces a message that is costly to build only when tracing. */
  void trace(String who, java.util.function.Supplier<String> message) {
    if (tracing) {
      trace(who, message.get());
    }
  }

  static String time(long nanos) {
    return String.format("%d.%06ds", nanos / 1_000_000_000L, (nanos / 1_000) % 1_000_000);
  }
}
