package dev.tally.chaos.history;

import java.util.List;

/**
 * One increment or decrement as the user meant it: all attempts that share a request id (a
 * client retrying until acknowledged), or a single attempt without one.
 *
 * @param key       counter key
 * @param delta     signed amount
 * @param requestId shared request id, "" for a single attempt without one
 * @param attempts  every attempt, in invocation order
 */
public record LogicalAdd(String key, long delta, String requestId, List<Attempted> attempts) {

    public LogicalAdd {
        attempts = List.copyOf(attempts);
        if (attempts.isEmpty()) {
            throw new IllegalArgumentException("a logical add needs at least one attempt");
        }
    }

    /**
     * OK when any attempt was acknowledged (with request ids the system applies it once), FAIL
     * when every attempt definitely failed, INFO otherwise.
     */
    public EventType status() {
        boolean allFailed = true;
        for (Attempted a : attempts) {
            if (a.outcome() == EventType.OK) {
                return EventType.OK;
            }
            allFailed &= a.outcome() == EventType.FAIL;
        }
        return allFailed ? EventType.FAIL : EventType.INFO;
    }

    /** When the first attempt was sent: from then on the add may be visible. */
    public long firstInvokeNanos() {
        return attempts.get(0).invokeNanos();
    }

    /** When it was first acknowledged; {@link Long#MAX_VALUE} if never. */
    public long ackNanos() {
        long ack = Long.MAX_VALUE;
        for (Attempted a : attempts) {
            if (a.outcome() == EventType.OK) {
                ack = Math.min(ack, a.completeNanos());
            }
        }
        return ack;
    }

    /** History index of the first invocation. */
    public long firstInvokeIndex() {
        return attempts.get(0).invokeIndex();
    }

    /** History index of the first acknowledgement; {@link Long#MAX_VALUE} if never. */
    public long ackIndex() {
        long ack = Long.MAX_VALUE;
        for (Attempted a : attempts) {
            if (a.outcome() == EventType.OK) {
                ack = Math.min(ack, a.completeIndex());
            }
        }
        return ack;
    }

    /** The attempt that was acknowledged first, if any. */
    public java.util.Optional<Attempted> acknowledged() {
        Attempted first = null;
        for (Attempted a : attempts) {
            if (a.outcome() == EventType.OK && (first == null || a.completeIndex() < first.completeIndex())) {
                first = a;
            }
        }
        return java.util.Optional.ofNullable(first);
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(status().name().toLowerCase()).append(" add \"").append(key).append("\" ")
                .append(delta > 0 ? "+" : "").append(delta);
        if (!requestId.isEmpty()) {
            sb.append(" rid=").append(requestId);
        }
        sb.append(" [").append(attempts.size()).append(attempts.size() == 1 ? " attempt" : " attempts").append(": ");
        for (int i = 0; i < attempts.size(); i++) {
            if (i > 0) {
                sb.append("; ");
            }
            sb.append(attempts.get(i).describe());
        }
        return sb.append(']').toString();
    }
}
