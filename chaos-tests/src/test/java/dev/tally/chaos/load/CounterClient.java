package dev.tally.chaos.load;

import dev.tally.chaos.history.ReadConsistency;

/**
 * A client bound to one node, as the load driver sees it. The next wave backs it with the client
 * SDK (pinned to one node, its own retries off: the driver retries and records each attempt).
 *
 * <p>Calls block the calling driver thread and must carry a deadline, so a paused or partitioned
 * node makes them come back {@link Outcome.Indeterminate} instead of hanging. Implementations
 * classify errors: a status that proves nothing was applied is {@link Outcome.Fail}, anything
 * else {@link Outcome.Indeterminate}. They never throw for a failed call.
 */
public interface CounterClient extends AutoCloseable {

    /** The node this client talks to. */
    String node();

    /**
     * Increment ({@code delta > 0}) or decrement ({@code delta < 0}) by {@code |delta|}.
     *
     * @param requestId idempotency id; retries of one operation reuse it ("" for none)
     */
    Outcome add(String key, long delta, String requestId, ReadConsistency consistency);

    /** Reads a counter. */
    Outcome get(String key, ReadConsistency consistency);

    @Override
    default void close() {}
}
