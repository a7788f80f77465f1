package dev.tally.chaos.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Append-only record of every client attempt, shared by all load threads.
 *
 * <p>Concurrency: any thread may call {@link #invokeAdd}, {@link #invokeRead} and the
 * {@link Attempt} completions. One lock guards {@code events} and {@code nextAttempt}; the
 * timestamp and the index are taken under it, so index order is time order. Nothing is called
 * out while holding it.
 */
public final class History {

    private final Object lock = new Object();
    private final LongSupplier clock;
    private final long origin;
    // Guarded by lock.
    private final List<HistoryEvent> events = new ArrayList<>();
    // Guarded by lock.
    private long nextAttempt;

    /** A history timed by {@link System#nanoTime()}. */
    public History() {
        this(System::nanoTime);
    }

    /** A history timed by {@code clock} (nanoseconds; tests pass a fake). */
    public History(LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.origin = clock.getAsLong();
    }

    /** Records the invocation of an increment (delta &gt; 0) or decrement (delta &lt; 0). */
    public Attempt invokeAdd(int process, String node, String key, long delta, String requestId,
                             ReadConsistency consistency) {
        return invoke(process, OpKind.ADD, node, key, delta, requestId, consistency);
    }

    /** Records the invocation of a read. */
    public Attempt invokeRead(int process, String node, String key, ReadConsistency consistency) {
        return invoke(process, OpKind.READ, node, key, 0, "", consistency);
    }

    private Attempt invoke(int process, OpKind kind, String node, String key, long delta, String requestId,
                           ReadConsistency consistency) {
        synchronized (lock) {
            long attempt = nextAttempt++;
            HistoryEvent invoke = new HistoryEvent(events.size(), attempt, process, EventType.INVOKE, kind, node,
                    key, delta, null, requestId, consistency, clock.getAsLong() - origin, "");
            events.add(invoke);
            return new Attempt(invoke);
        }
    }

    /** A snapshot of all events so far, in recording order. */
    public List<HistoryEvent> events() {
        synchronized (lock) {
            return List.copyOf(events);
        }
    }

    /** Nanoseconds since this history started, on its clock. */
    public long now() {
        return clock.getAsLong() - origin;
    }

    private void complete(HistoryEvent invoke, EventType type, Long value, String error) {
        synchronized (lock) {
            events.add(new HistoryEvent(events.size(), invoke.attempt(), invoke.process(), type, invoke.kind(),
                    invoke.node(), invoke.key(), invoke.delta(), value, invoke.requestId(), invoke.consistency(),
                    clock.getAsLong() - origin, error));
        }
    }

    /** An invoked attempt, to be completed exactly once (or never: then it counts as indeterminate). */
    public final class Attempt {
        private final HistoryEvent invoke;
        private boolean completed;

        private Attempt(HistoryEvent invoke) {
            this.invoke = invoke;
        }

        /** The INVOKE event. */
        public HistoryEvent invocation() {
            return invoke;
        }

        /** Acknowledged; {@code value} is what the node returned. */
        public void ok(long value) {
            finish(EventType.OK, value, "");
        }

        /** Definitely not applied. */
        public void fail(String error) {
            finish(EventType.FAIL, null, error);
        }

        /** May or may not have been applied. */
        public void info(String error) {
            finish(EventType.INFO, null, error);
        }

        private void finish(EventType type, Long value, String error) {
            // Completed by the thread that invoked it; a second completion is a harness bug.
            if (completed) {
                throw new IllegalStateException("attempt " + invoke.attempt() + " was already completed");
            }
            completed = true;
            complete(invoke, type, value, error);
        }
    }
}
