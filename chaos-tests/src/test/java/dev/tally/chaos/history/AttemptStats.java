package dev.tally.chaos.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How the attempts sent to some nodes in a time window fared: how many, how many acknowledged,
 * and the latency of the acknowledged ones. For liveness checks ("the other nodes kept serving
 * while one was frozen"), never for speed targets.
 *
 * @param attempts     attempts invoked in the window (completed or not)
 * @param acknowledged those that came back OK
 * @param p50Nanos     median latency of the acknowledged ones (0 when none)
 * @param p99Nanos     99th percentile latency of the acknowledged ones (0 when none)
 */
public record AttemptStats(long attempts, long acknowledged, long p50Nanos, long p99Nanos) {

    /**
     * The attempts sent to {@code nodes} whose invocation falls in [{@code fromNanos}, {@code toNanos})
     * of the history's clock. An attempt that never completed counts as not acknowledged.
     */
    public static AttemptStats of(List<HistoryEvent> events, Collection<String> nodes, long fromNanos, long toNanos) {
        Map<Long, HistoryEvent> invokes = new HashMap<>();
        Map<Long, HistoryEvent> completions = new HashMap<>();
        for (HistoryEvent e : events) {
            if (!nodes.contains(e.node())) {
                continue;
            }
            if (e.type() == EventType.INVOKE) {
                if (e.nanos() >= fromNanos && e.nanos() < toNanos) {
                    invokes.put(e.attempt(), e);
                }
            } else {
                completions.put(e.attempt(), e);
            }
        }
        List<Long> latencies = new ArrayList<>();
        for (HistoryEvent invoke : invokes.values()) {
            HistoryEvent done = completions.get(invoke.attempt());
            if (done != null && done.type() == EventType.OK) {
                latencies.add(done.nanos() - invoke.nanos());
            }
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return new AttemptStats(invokes.size(), sorted.length, percentile(sorted, 0.50), percentile(sorted, 0.99));
    }

    private static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /** Acknowledged share of the attempts (1 when there were none). */
    public double successRate() {
        return attempts == 0 ? 1.0 : (double) acknowledged / attempts;
    }

    public String describe() {
        return String.format("%d attempts, %.1f%% acknowledged, latency p50 %.1f ms, p99 %.1f ms", attempts,
                100 * successRate(), p50Nanos / 1e6, p99Nanos / 1e6);
    }
}
