package dev.tally.chaos.history;

import java.util.Objects;

/**
 * One attempt: its invocation and its completion, if it completed.
 *
 * @param invoke     the INVOKE event
 * @param completion the OK/FAIL/INFO event, or null when the history ended first (indeterminate)
 */
public record Attempted(HistoryEvent invoke, HistoryEvent completion) {

    public Attempted {
        Objects.requireNonNull(invoke, "invoke");
        if (invoke.type() != EventType.INVOKE) {
            throw new IllegalArgumentException("not an invocation: " + invoke.describe());
        }
        if (completion != null && (completion.type() == EventType.INVOKE || completion.attempt() != invoke.attempt())) {
            throw new IllegalArgumentException("not the completion of " + invoke.describe() + ": " + completion.describe());
        }
    }

    /** OK, FAIL, or INFO (also when it never completed). */
    public EventType outcome() {
        return completion == null ? EventType.INFO : completion.type();
    }

    public long invokeNanos() {
        return invoke.nanos();
    }

    /** Completion time; {@link Long#MAX_VALUE} when it never completed. */
    public long completeNanos() {
        return completion == null ? Long.MAX_VALUE : completion.nanos();
    }

    /** Position of the invocation in the history: the real-time order the checkers use. */
    public long invokeIndex() {
        return invoke.index();
    }

    /** Position of the completion in the history; {@link Long#MAX_VALUE} when it never completed. */
    public long completeIndex() {
        return completion == null ? Long.MAX_VALUE : completion.index();
    }

    public String node() {
        return invoke.node();
    }

    public String key() {
        return invoke.key();
    }

    /** Value returned by an OK attempt. */
    public long value() {
        if (completion == null || completion.value() == null) {
            throw new IllegalStateException("no value: " + describe());
        }
        return completion.value();
    }

    public String describe() {
        return completion == null ? invoke.describe() + " (never completed)" : completion.describe()
                + String.format(" (invoked @%.3fs)", invoke.nanos() / 1e9);
    }
}
