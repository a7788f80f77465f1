package dev.tally.chaos.load;

import dev.tally.chaos.history.ReadConsistency;
import java.time.Duration;
import java.util.List;

/**
 * What the load driver sends.
 *
 * @param keys                keys to spread operations over (fresh per run: the checkers assume 0 at start)
 * @param processesPerNode    client threads per node (each runs one call at a time)
 * @param readFraction        share of operations that are reads, in [0, 1]
 * @param decrementFraction   share of writes that are decrements, in [0, 1]
 * @param maxAmount           writes use amounts 1..maxAmount
 * @param quorumWriteFraction share of writes sent with QUORUM (the rest LOCAL), in [0, 1]
 * @param quorumReadFraction  share of reads sent with QUORUM (the rest LOCAL), in [0, 1]
 * @param retryUntilAck       retry a write that was not acknowledged, with the same request id and
 *                            through the same client (one node, or a failover client's nodes),
 *                            until it is acknowledged or the driver stops
 * @param retryBackoff        pause between retries
 * @param thinkTime           pause of a process between two operations (zero: back to back); keeps
 *                            the load, and the history the checkers walk, in proportion to the machine
 * @param maxOpsPerProcess    bound on logical operations per thread
 * @param duration            bound on the run's length (the driver also stops when asked)
 */
public record Workload(
        List<String> keys,
        int processesPerNode,
        double readFraction,
        double decrementFraction,
        int maxAmount,
        double quorumWriteFraction,
        double quorumReadFraction,
        boolean retryUntilAck,
        Duration retryBackoff,
        Duration thinkTime,
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
        requireFraction("readFraction", readFraction);
        requireFraction("decrementFraction", decrementFraction);
        requireFraction("quorumWriteFraction", quorumWriteFraction);
        requireFraction("quorumReadFraction", quorumReadFraction);
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
        if (thinkTime.isNegative()) {
            throw new IllegalArgumentException("thinkTime must not be negative, was " + thinkTime);
        }
    }

    private static void requireFraction(String name, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], was " + value);
        }
    }

    /** A small mixed workload: 1 thread per node, 30% reads, 20% decrements, amounts 1..5, LOCAL, no retries. */
    public static Workload mixed(List<String> keys, int maxOpsPerProcess, Duration duration) {
        return new Workload(keys, 1, 0.3, 0.2, 5, 0, 0, false, Duration.ofMillis(50), Duration.ZERO,
                maxOpsPerProcess, duration);
    }

    /** The same workload over {@code keys} only. */
    public Workload withKeys(List<String> keys) {
        return new Workload(keys, processesPerNode, readFraction, decrementFraction, maxAmount, quorumWriteFraction,
                quorumReadFraction, retryUntilAck, retryBackoff, thinkTime, maxOpsPerProcess, duration);
    }

    public Workload withRetryUntilAck(boolean retry) {
        return new Workload(keys, processesPerNode, readFraction, decrementFraction, maxAmount, quorumWriteFraction,
                quorumReadFraction, retry, retryBackoff, thinkTime, maxOpsPerProcess, duration);
    }

    /** Every write with {@code writes}, every read with {@code reads}. */
    public Workload withConsistency(ReadConsistency writes, ReadConsistency reads) {
        return withQuorumShares(writes == ReadConsistency.QUORUM ? 1 : 0, reads == ReadConsistency.QUORUM ? 1 : 0);
    }

    /** A share of the writes and of the reads sent with QUORUM, the rest LOCAL. */
    public Workload withQuorumShares(double writes, double reads) {
        return new Workload(keys, processesPerNode, readFraction, decrementFraction, maxAmount, writes, reads,
                retryUntilAck, retryBackoff, thinkTime, maxOpsPerProcess, duration);
    }

    public Workload withProcessesPerNode(int processes) {
        return new Workload(keys, processes, readFraction, decrementFraction, maxAmount, quorumWriteFraction,
                quorumReadFraction, retryUntilAck, retryBackoff, thinkTime, maxOpsPerProcess, duration);
    }

    public Workload withReadFraction(double reads) {
        return new Workload(keys, processesPerNode, reads, decrementFraction, maxAmount, quorumWriteFraction,
                quorumReadFraction, retryUntilAck, retryBackoff, thinkTime, maxOpsPerProcess, duration);
    }

    public Workload withThinkTime(Duration pause) {
        return new Workload(keys, processesPerNode, readFraction, decrementFraction, maxAmount, quorumWriteFraction,
                quorumReadFraction, retryUntilAck, retryBackoff, pause, maxOpsPerProcess, duration);
    }

    public Workload withRetryBackoff(Duration backoff) {
        return new Workload(keys, processesPerNode, readFraction, decrementFraction, maxAmount, quorumWriteFraction,
                quorumReadFraction, retryUntilAck, backoff, thinkTime, maxOpsPerProcess, duration);
    }
}
