package dev.tally.chaos.faults;

import dev.tally.chaos.cluster.TallyCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Several faults at once. The parts are injected in parallel (they touch different nodes, and a
 * latency fault starts a JVM per node) and healed in parallel; if one fails to inject, the parts
 * already injected are healed before the error is thrown.
 *
 * @param description what it is, for the logs
 * @param parts       the faults
 */
public record Composite(String description, List<Fault> parts) implements Fault {

    public Composite {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a composite fault needs parts");
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public Healer inject(TallyCluster cluster) {
        List<Healer> healers = new ArrayList<>();
        RuntimeException failure = null;
        for (Outcome o : inParallel(parts.stream().map(f -> (Callable<Healer>) () -> f.inject(cluster)).toList())) {
            if (o.error() == null) {
                healers.add(o.healer());
            } else if (failure == null) {
                failure = o.error();
            } else {
                failure.addSuppressed(o.error());
            }
        }
        if (failure != null) {
            RuntimeException rollback = healAll(healers);
            if (rollback != null) {
                failure.addSuppressed(rollback);
            }
            throw failure;
        }
        return () -> {
            RuntimeException e = healAll(healers);
            if (e != null) {
                throw e;
            }
        };
    }

    private static RuntimeException healAll(List<Healer> healers) {
        RuntimeException first = null;
        for (Outcome o : inParallel(healers.stream().map(h -> (Callable<Healer>) () -> {
            h.heal();
            return h;
        }).toList())) {
            if (o.error() != null) {
                if (first == null) {
                    first = o.error();
                } else {
                    first.addSuppressed(o.error());
                }
            }
        }
        return first;
    }

    private record Outcome(Healer healer, RuntimeException error) {}

    /** Runs every task on a thread of its own (the common pool has one thread on two cores) and waits for all. */
    private static List<Outcome> inParallel(List<Callable<Healer>> tasks) {
        if (tasks.isEmpty()) {
            return List.of();
        }
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            List<Future<Healer>> futures = new ArrayList<>();
            tasks.forEach(t -> futures.add(pool.submit(t)));
            List<Outcome> out = new ArrayList<>();
            for (Future<Healer> f : futures) {
                try {
                    out.add(new Outcome(f.get(), null));
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    out.add(new Outcome(null, cause instanceof RuntimeException r ? r : new IllegalStateException(cause)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    out.add(new Outcome(null, new IllegalStateException("interrupted", e)));
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
