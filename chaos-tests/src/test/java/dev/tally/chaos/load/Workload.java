package dev.tally.chaos.load;

import dev.tally.chaos.history.ReadConsistency;
import java.time.Duration;
import java.util.List;

/**
 * What the load driver sends.
 *
 * @param keys              keys to spread operations over (fresh per run: the checkers assume 0 at start)
 * @param processesPerNode  client threads per node (each runs one call at a time)
 * @param readFraction      share of operations that are reads, in [0, 1]
 * @param decrementFraction share of writes that are decrements, in [0, 1]
 * @param maxAmount         writes use amounts 1..maxAmount
 * @param writeConsistency  consistency of writes
 * @param readConsistency   consistency of reads
 * @param retryUntilAck     retry a write that was not acknowledged, with the same request id and
 *                          on the same node, until it is acknowledged or the driver stops
 * @param retryBackoff      pause between retries
 * @param maxOpsPerProcess  bound on logical operations per thread
 * @param duration          bound on the run's length (the driver also stops when asked)
 */
public record Workload(
        List<String> keys,
        int processesPerNode,
        double readFraction,
        double decrementFraction,
        int maxAmount,
        ReadConsistency writeConsistency,
        ReadConsistency readConsistency,
        boolean retryUntilAck,
        Duration retryBackoff,
        int maxOpsPerProcess,
        Duration duration) {

    public Workload {
        keys = List.copyOf(keys);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("keys must not be empty");
        }
        if (processesPerNode < 1) {
            throw new IllegalArgumentException("processesPerNode must be >= 1, was " + processesPerNode);
        }
        if (readFraction < 0 || readFraction > 1) {
            throw new IllegalArgumentException("readFraction must be in [0, 1], was " + readFraction);
        }
        if (decrementFraction < 0 || decrementFraction > 1) {
            throw new IllegalArgumentException("decrementFraction must be in [0, 1], was " + decrementFraction);
        }
        if (maxAmount < 1) {
            throw new IllegalArgumentException("maxAmount must be >= 1, was " + maxAmount);
        }
        if (maxOpsPerProcess < 1) {
            throw new IllegalArgumentException("maxOpsPerProcess must be >= 1, was " + maxOpsPerProcess);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration must be positive, was " + duration);
        }
        if (retryBackoff.isNegative()) {
            throw new IllegalArgumentException("retryBackoff must not be negative, was " + retryBackoff);
        }
    }

    /** A small mixed workload: 1 thread per node, 30% reads, 20% decrements, amounts 1..5, LOCAL, no retries. */
    public static Workload mixed(List<String> keys, int maxOpsPerProcess, Duration duration) {
        return new Workload(keys, 1, 0.3, 0.2, 5, ReadConsistency.LOCAL, ReadConsistency.LOCAL, false,
                Duration.ofMillis(50), maxOpsPerProcess, duration);
    }

    public Workload withRetryUntilAck(boolean retry) {
        return new Workload(keys, processesPerNode, readFraction, decrementFraction, maxAmount, writeConsistency,
                readConsistency, retry, retryBackoff, maxOpsPerProcess, duration);
    }

    public Workload withConsistency(ReadConsistency writes, ReadConsistency reads) {
        return new Workload(keys, processesPerNode, readFraction, decrementFraction, maxAmount, writes, reads,
                retryUntilAck, retryBackoff, maxOpsPerProcess, duration);
    }

    public Workload withProcessesPerNode(int processes) {
        return new Workload(keys, processes, readFraction, decrementFraction, maxAmount, writeConsistency,
                readConsistency, retryUntilAck, retryBackoff, maxOpsPerProcess, duration);
    }
}
