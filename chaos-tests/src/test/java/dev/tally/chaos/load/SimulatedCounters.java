package dev.tally.chaos.load;

import dev.tally.chaos.history.ReadConsistency;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * An in-memory, linearizable counter store shared by several fake nodes, with switchable
 * misbehaviour, to prove that the driver records what happened and the checkers catch what a
 * broken cluster does. Test double only: the real clients talk gRPC to containers.
 *
 * <p>Concurrency: every method synchronises on this object; the fake clients call it from the
 * driver's threads.
 */
final class SimulatedCounters {

    /** What goes wrong, every {@code period}-th write. */
    enum Fault {
        NONE,
        /** Applied, but the reply is lost: indeterminate. */
        TIMEOUT_AFTER_APPLY,
        /** Not applied, reply lost: indeterminate. */
        TIMEOUT_BEFORE_APPLY,
        /** Rejected before applying: a definite failure. */
        REJECT,
        /** Acknowledged but never applied: an acknowledged write is lost. */
        ACK_WITHOUT_APPLY
    }

    private final Fault fault;
    private final int period;
    private final boolean honourRequestIds;
    private final Map<String, Long> values = new HashMap<>();
    private final Set<String> appliedRequestIds = new HashSet<>();
    private long writes;

    SimulatedCounters(Fault fault, int period, boolean honourRequestIds) {
        this.fault = fault;
        this.period = period;
        this.honourRequestIds = honourRequestIds;
    }

    synchronized Outcome add(String key, long delta, String requestId) {
        boolean faulty = fault != Fault.NONE && ++writes % period == 0;
        if (faulty && fault == Fault.REJECT) {
            return Outcome.fail("UNAVAILABLE: rejected before applying");
        }
        if (faulty && fault == Fault.TIMEOUT_BEFORE_APPLY) {
            return Outcome.indeterminate("DEADLINE_EXCEEDED");
        }
        boolean duplicate = honourRequestIds && !requestId.isEmpty() && !appliedRequestIds.add(requestId);
        if (!duplicate && !(faulty && fault == Fault.ACK_WITHOUT_APPLY)) {
            values.merge(key, delta, Long::sum);
        }
        if (faulty && fault == Fault.TIMEOUT_AFTER_APPLY) {
            return Outcome.indeterminate("DEADLINE_EXCEEDED after apply");
        }
        return Outcome.ok(values.getOrDefault(key, 0L));
    }

    synchronized long value(String key) {
        return values.getOrDefault(key, 0L);
    }

    /** A client for one fake node. */
    CounterClient client(String node) {
        return new CounterClient() {
            @Override
            public String node() {
                return node;
            }

            @Override
            public Outcome add(String key, long delta, String requestId, ReadConsistency consistency) {
                return SimulatedCounters.this.add(key, delta, requestId);
            }

            @Override
            public Outcome get(String key, ReadConsistency consistency) {
                return Outcome.ok(value(key));
            }
        };
    }
}
