package dev.tally.chaos.load;

import dev.tally.chaos.history.History;
import dev.tally.chaos.history.ReadConsistency;
import dev.tally.chaos.seed.ChaosSeed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Sends a {@link Workload} to every node at once and records every attempt in a {@link History}.
 *
 * <p>Threads: {@link #start()} starts {@code processesPerNode} platform threads per client
 * ("process" p in the history). Each owns its {@link Random} (derived from the run seed), its
 * client calls and its operation count; the clients must tolerate one caller per process. They
 * share only the history (thread-safe), the {@code issuing} flag, the {@code hardStop} latch and
 * the counters. The caller's thread starts and stops the driver.
 *
 * <p>Stopping: {@link #stop(Duration)} ends the issuing of new operations; a process in the
 * middle of retrying a write (retry-until-ack mode) keeps retrying it until acknowledged or until
 * the grace period ends, so a run that heals its faults first gets every write acknowledged.
 */
public final class LoadDriver implements AutoCloseable {

    private final History history;
    private final List<CounterClient> clients;
    private final Workload workload;
    private final long seed;
    private final String runTag;
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch hardStop = new CountDownLatch(1);
    private final AtomicReference<Throwable> clientError = new AtomicReference<>();
    private final LongAdder ok = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder indeterminate = new LongAdder();
    private volatile boolean issuing = true;
    private volatile long retryDeadlineNanos = Long.MAX_VALUE;
    private volatile long endNanos;

    /**
     * @param runTag prefix of every request id, unique per run (request ids must never repeat)
     */
    public LoadDriver(History history, List<CounterClient> clients, Workload workload, long seed, String runTag) {
        this.history = Objects.requireNonNull(history, "history");
        this.clients = List.copyOf(clients);
        this.workload = Objects.requireNonNull(workload, "workload");
        this.seed = seed;
        this.runTag = Objects.requireNonNull(runTag, "runTag");
        if (this.clients.isEmpty()) {
            throw new IllegalArgumentException("clients must not be empty");
        }
    }

    /** Starts every process. */
    public synchronized void start() {
        if (!threads.isEmpty()) {
            throw new IllegalStateException("load driver already started");
        }
        endNanos = System.nanoTime() + workload.duration().toNanos();
        int process = 0;
        for (CounterClient client : clients) {
            for (int i = 0; i < workload.processesPerNode(); i++) {
                int p = process++;
                Random random = new Random(ChaosSeed.derive(seed, "process-" + p));
                Thread t = new Thread(() -> run(p, client, random), "load-p" + p + "-" + client.node());
                t.setDaemon(true);
                threads.add(t);
            }
        }
        threads.forEach(Thread::start);
    }

    /**
     * Stops issuing operations, lets pending retries go on for at most {@code retryGrace}, then
     * waits for every process to finish.
     *
     * @throws IllegalStateException if a process did not finish within the grace plus 30 s
     */
    public void stop(Duration retryGrace) throws InterruptedException {
        issuing = false;
        retryDeadlineNanos = System.nanoTime() + retryGrace.toNanos();
        awaitProcesses(retryGrace.plusSeconds(30));
    }

    /** Waits until every process has done its operations or the workload's duration ran out. */
    public void awaitCompletion(Duration retryGrace) throws InterruptedException {
        retryDeadlineNanos = endNanos + retryGrace.toNanos();
        awaitProcesses(workload.duration().plus(retryGrace).plusSeconds(30));
    }

    private void awaitProcesses(Duration cap) throws InterruptedException {
        long deadline = System.nanoTime() + cap.toNanos();
        List<Thread> snapshot;
        synchronized (this) {
            snapshot = List.copyOf(threads);
        }
        for (Thread t : snapshot) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                hardStop.countDown();
                throw new IllegalStateException(t.getName() + " still running after " + cap
                        + ": a client call is not bounded by a deadline");
            }
        }
        hardStop.countDown();
        Throwable error = clientError.get();
        if (error != null) {
            throw new IllegalStateException("a CounterClient threw instead of returning an Outcome", error);
        }
    }

    /** Attempts acknowledged / definitely failed / indeterminate so far. */
    public String stats() {
        return ok.sum() + " ok, " + failed.sum() + " failed, " + indeterminate.sum() + " indeterminate attempts";
    }

    public long acknowledgedAttempts() {
        return ok.sum();
    }

    @Override
    public void close() throws InterruptedException {
        if (issuing || hardStop.getCount() > 0) {
            issuing = false;
            retryDeadlineNanos = System.nanoTime();
            hardStop.countDown();
            awaitProcesses(Duration.ofSeconds(30));
        }
    }

    private void run(int process, CounterClient client, Random random) {
        List<String> keys = workload.keys();
        for (int n = 0; n < workload.maxOpsPerProcess() && issuing && System.nanoTime() < endNanos; n++) {
            if (n > 0 && !workload.thinkTime().isZero() && pauseOrStop(workload.thinkTime())) {
                return;
            }
            if (!issuing) {
                return;
            }
            String key = keys.get(random.nextInt(keys.size()));
            if (random.nextDouble() < workload.readFraction()) {
                ReadConsistency consistency = random.nextDouble() < workload.quorumReadFraction()
                        ? ReadConsistency.QUORUM : ReadConsistency.LOCAL;
                read(process, client, key, consistency);
            } else {
                long amount = 1 + random.nextInt(workload.maxAmount());
                long delta = random.nextDouble() < workload.decrementFraction() ? -amount : amount;
                ReadConsistency consistency = random.nextDouble() < workload.quorumWriteFraction()
                        ? ReadConsistency.QUORUM : ReadConsistency.LOCAL;
                String requestId = runTag + "-p" + process + "-" + n;
                write(process, client, key, delta, requestId, consistency);
            }
        }
    }

    /** Waits {@code d} (pacing, not a wait for a condition); true if the driver was stopped hard meanwhile. */
    private boolean pauseOrStop(Duration d) {
        try {
            return hardStop.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void read(int process, CounterClient client, String key, ReadConsistency consistency) {
        History.Attempt attempt = history.invokeRead(process, client.node(), key, consistency);
        record(attempt, call(() -> client.get(key, consistency)));
    }

    private void write(int process, CounterClient client, String key, long delta, String requestId,
                       ReadConsistency consistency) {
        while (true) {
            History.Attempt attempt = history.invokeAdd(process, client.node(), key, delta, requestId, consistency);
            Outcome outcome = call(() -> client.add(key, delta, requestId, consistency));
            record(attempt, outcome);
            if (outcome instanceof Outcome.Ok || !workload.retryUntilAck()
                    || System.nanoTime() >= retryDeadlineNanos) {
                return;
            }
            try {
                if (hardStop.await(workload.retryBackoff().toNanos(), TimeUnit.NANOSECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private Outcome call(Supplier<Outcome> call) {
        try {
            return Objects.requireNonNull(call.get(), "CounterClient returned null");
        } catch (RuntimeException e) {
            // Recorded as indeterminate so the history stays well formed; reported by stop().
            clientError.compareAndSet(null, e);
            return Outcome.indeterminate("client threw " + e);
        }
    }

    private void record(History.Attempt attempt, Outcome outcome) {
        if (outcome instanceof Outcome.Ok o) {
            ok.increment();
            attempt.ok(o.value());
        } else if (outcome instanceof Outcome.Fail f) {
            failed.increment();
            attempt.fail(f.reason());
        } else {
            indeterminate.increment();
            attempt.info(((Outcome.Indeterminate) outcome).reason());
        }
    }
}
