package dev.tally.chaos.history;

import java.util.Objects;

/**
 * One line of a client history: an invocation or the completion of an attempt.
 *
 * @param index       position in the history (total order of recording)
 * @param attempt     identifies the attempt; its INVOKE and its completion share it
 * @param process     the client thread that issued the attempt (one attempt at a time per process)
 * @param type        invoke, ok, fail or info
 * @param kind        add or read
 * @param node        node the attempt was sent to
 * @param key         counter key
 * @param delta       for ADD: signed amount (+ increment, - decrement); 0 for READ
 * @param value       for an OK read the value read, for an OK add the value returned; else null
 * @param requestId   idempotency id of an ADD ("" when none); retries of one logical operation share it
 * @param consistency consistency level asked for
 * @param nanos       monotonic time of the event, relative to the history's start
 * @param error       reason for FAIL/INFO, else ""
 */
public record HistoryEvent(
        long index,
        long attempt,
        int process,
        EventType type,
        OpKind kind,
        String node,
        String key,
        long delta,
        Long value,
        String requestId,
        ReadConsistency consistency,
        long nanos,
        String error) {

    public HistoryEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(consistency, "consistency");
        requestId = requestId == null ? "" : requestId;
        error = error == null ? "" : error;
        if (kind == OpKind.ADD && delta == 0) {
            throw new IllegalArgumentException("delta of an ADD must not be 0");
        }
    }

    /** One line, Jepsen-style, e.g. {@code 12 p3 ok add n1 "k" +5 rid=r-3-1 @1.204s}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(index).append(" p").append(process).append(' ')
                .append(type.name().toLowerCase()).append(' ')
                .append(kind.name().toLowerCase()).append(' ')
                .append(node).append(" \"").append(key).append('"');
        if (kind == OpKind.ADD) {
            sb.append(' ').append(delta > 0 ? "+" : "").append(delta);
        }
        if (value != null) {
            sb.append(" value=").append(value);
        }
        if (consistency == ReadConsistency.QUORUM) {
            sb.append(" quorum");
        }
        if (!requestId.isEmpty()) {
            sb.append(" rid=").append(requestId);
        }
        if (!error.isEmpty()) {
            sb.append(" error=").append(error);
        }
        sb.append(String.format(" @%.3fs", nanos / 1e9));
        return sb.toString();
    }
}
