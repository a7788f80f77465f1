package dev.tally.chaos.load;

/** What one call to a node came back with, as the history needs it. */
public sealed interface Outcome {

    /** Acknowledged; {@code value} is the counter value the node returned. */
    record Ok(long value) implements Outcome {}

    /** Definitely not applied (e.g. INVALID_ARGUMENT, or UNAVAILABLE before anything was sent). */
    record Fail(String reason) implements Outcome {}

    /** May or may not have been applied (deadline exceeded, connection lost mid-call, quorum timeout). */
    record Indeterminate(String reason) implements Outcome {}

    static Outcome ok(long value) {
        return new Ok(value);
    }

    static Outcome fail(String reason) {
        return new Fail(reason);
    }

    static Outcome indeterminate(String reason) {
        return new Indeterminate(reason);
    }
}
