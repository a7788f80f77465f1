package dev.tally.chaos.faults;

import dev.tally.chaos.cluster.TallyCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Plays a {@link FaultSchedule} against a cluster on a thread of its own while the test runs its
 * load, and logs what it did when, for the violation report. Each fault is held for its full
 * hold time after its injection completes, and each gap is counted from the previous heal.
 *
 * <p>Threads: the "fault-runner" thread injects and heals; it alone touches {@code active}. The
 * test thread calls start/await/close. {@code log} is copy-on-write; {@code failure} and
 * {@code stop} are thread-safe. On stop or failure the active fault is healed before the
 * thread ends, so nothing is left injected.
 */
public final class FaultRunner implements AutoCloseable {

    private final Function<Fault, Fault.Healer> injector;
    private final FaultSchedule schedule;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private final LongSupplier clock;
    private final Consumer<String> sink;
    private volatile long t0;

    /** Plays {@code schedule} on {@code cluster}; the fault log joins the cluster's diagnostics. */
    public FaultRunner(TallyCluster cluster, FaultSchedule schedule) {
        this(f -> f.inject(cluster), schedule, null, line -> {});
        cluster.addDiagnostics("fault log", () -> String.join("\n", log));
    }

    /**
     * Plays {@code schedule} on {@code cluster}, timing its log lines by {@code clock} (nanoseconds
     * since the run's origin, e.g. the history's, so faults and operations share one time line)
     * and handing each line to {@code sink} as well.
     */
    public FaultRunner(TallyCluster cluster, FaultSchedule schedule, LongSupplier clock, Consumer<String> sink) {
        this(f -> f.inject(cluster), schedule, clock, sink);
    }

    /** Plays {@code schedule} through {@code injector} (tests pass one that needs no cluster). */
    FaultRunner(Function<Fault, Fault.Healer> injector, FaultSchedule schedule) {
        this(injector, schedule, null, line -> {});
    }

    private FaultRunner(Function<Fault, Fault.Healer> injector, FaultSchedule schedule, LongSupplier clock,
                        Consumer<String> sink) {
        this.injector = injector;
        this.schedule = schedule;
        this.clock = clock;
        this.sink = sink;
        this.thread = new Thread(this::run, "fault-runner");
        this.thread.setDaemon(true);
        schedule.describe().forEach(System.out::println);
    }

    /** Starts playing the schedule now. */
    public void start() {
        t0 = System.nanoTime();
        thread.start();
    }

    /** Whether every step has been played and healed (or the runner stopped). */
    public boolean isDone() {
        return t0 != 0 && !thread.isAlive();
    }

    /** Waits for the whole schedule to be played and healed; rethrows a fault that failed to inject or heal. */
    public void awaitCompletion(Duration cap) throws InterruptedException {
        thread.join(cap.toMillis());
        if (thread.isAlive()) {
            throw new IllegalStateException("fault schedule not done within " + cap + "; log so far:\n"
                    + String.join("\n", log));
        }
        Throwable f = failure.get();
        if (f != null) {
            throw new IllegalStateException("fault schedule failed; log:\n" + String.join("\n", log), f);
        }
    }

    /** What happened, one line per inject/heal with its time since start. */
    public List<String> log() {
        return List.copyOf(log);
    }

    /** Stops early, healing the active fault. */
    @Override
    public void close() throws InterruptedException {
        stop.countDown();
        if (thread.isAlive()) {
            thread.join(TimeUnit.MINUTES.toMillis(2));
        }
    }

    private void run() {
        // The schedule's gaps and holds are kept as durations from the end of the previous
        // action, so a slow inject (a restart that waits for readiness) never eats the hold.
        Duration previousEnd = Duration.ZERO;
        for (FaultSchedule.Step step : schedule.steps()) {
            if (pause(step.at().minus(previousEnd))) {
                return;
            }
            previousEnd = step.at().plus(step.hold());
            Fault.Healer active;
            long injectStart = System.nanoTime();
            try {
                active = injector.apply(step.fault());
            } catch (Throwable e) {
                record("FAILED to inject " + step.fault().describe() + ": " + e);
                failure.compareAndSet(null, e);
                return;
            }
            record("injected " + step.fault().describe() + took(injectStart));
            boolean stopped = pause(step.hold());
            long healStart = System.nanoTime();
            try {
                active.heal();
                record("healed " + step.fault().describe() + took(healStart));
            } catch (Throwable e) {
                record("FAILED to heal " + step.fault().describe() + ": " + e);
                failure.compareAndSet(null, e);
                return;
            }
            if (stopped) {
                return;
            }
        }
    }

    /** Waits for {@code d}; true if asked to stop (then at once). */
    private boolean pause(Duration d) {
        try {
            return stop.await(Math.max(0, d.toNanos()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void record(String what) {
        long nanos = clock != null ? clock.getAsLong() : System.nanoTime() - t0;
        String line = String.format("+%.3fs %s", nanos / 1e9, what);
        log.add(line);
        sink.accept(line);
        System.out.println("fault-runner: " + line);
    }

    private static String took(long start) {
        return String.format(" (took %.2fs)", (System.nanoTime() - start) / 1e9);
    }
}
