package dev.tally.chaos.client;

import dev.tally.chaos.history.ReadConsistency;
import dev.tally.chaos.load.CounterClient;
import dev.tally.chaos.load.Outcome;
import dev.tally.client.ClusterStatus;
import dev.tally.client.Consistency;
import dev.tally.client.CounterValue;
import dev.tally.client.RequestOptions;
import dev.tally.client.RetryPolicy;
import dev.tally.client.TallyClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A {@link CounterClient} backed by the real {@link TallyClient}, bound to ONE node: the SDK gets
 * that node's endpoint only and makes a single attempt per call (the load driver retries, and
 * records every attempt). Retries of a write therefore reach the node that may have applied it,
 * whose dedupe recognises the request id. (Failing over between nodes is {@link
 * FailoverCounterClient}'s job; a scenario can still move a retry by hand with {@link #add(String,
 * long, String, ReadConsistency, List)}.)
 *
 * <p>Docker publishes the node's client port on a new host port after every restart or network
 * reconnect, so after a failed call the endpoint is looked up again (at most every {@link
 * #LOOKUP_INTERVAL}) and, when it moved, a fresh SDK client replaces the old one. While the node
 * has no published port at all (killed, disconnected) calls fail at once without sending.
 *
 * <p>Threads: the load driver's processes for this node call it concurrently. The SDK client is
 * thread-safe; {@code lock} guards the swap ({@code bound} is also volatile for lock-free reads),
 * {@code lastLookupNanos} and {@code retired}. Docker lookups happen under the lock, which only
 * this client's callers contend for, and never during a call to the node.
 */
public final class SdkCounterClient implements CounterClient {

    /** Least time between two endpoint lookups after failures. */
    static final Duration LOOKUP_INTERVAL = Duration.ofMillis(200);

    private final String node;
    private final Supplier<Optional<String>> endpointLookup;
    private final Duration deadline;
    private final Object lock = new Object();
    private volatile Bound bound;
    // Guarded by lock.
    private long lastLookupNanos = System.nanoTime() - LOOKUP_INTERVAL.toNanos();
    // Guarded by lock: clients replaced after the endpoint moved, closed with this one.
    private final List<TallyClient> retired = new ArrayList<>();
    private boolean closed;

    private record Bound(String endpoint, TallyClient client) {}

    private final ClientSecurity security;

    /**
     * @param node           the node's name (for the history)
     * @param endpointLookup the node's client endpoint ({@code host:port}) as the host reaches it
     *                       now, empty while it has none
     * @param deadline       bound on every call, so a paused or cut-off node answers indeterminate
     */
    public SdkCounterClient(String node, Supplier<Optional<String>> endpointLookup, Duration deadline) {
        this(node, endpointLookup, deadline, ClientSecurity.NONE);
    }

    /** As above, with TLS and a token as {@code security} says. */
    public SdkCounterClient(String node, Supplier<Optional<String>> endpointLookup, Duration deadline,
                            ClientSecurity security) {
        this.security = Objects.requireNonNull(security, "security");
        this.node = Objects.requireNonNull(node, "node");
        this.endpointLookup = Objects.requireNonNull(endpointLookup, "endpointLookup");
        this.deadline = Objects.requireNonNull(deadline, "deadline");
    }

    @Override
    public String node() {
        return node;
    }

    @Override
    public Outcome add(String key, long delta, String requestId, ReadConsistency consistency) {
        return add(key, delta, requestId, consistency, List.of());
    }

    /**
     * Like {@link #add(String, long, String, ReadConsistency)}, for a write retried by hand on this
     * node after an attempt elsewhere: {@code priorNodes} names the nodes an earlier attempt of
     * {@code requestId} may have reached (see docs/api.md, "Retrying on another node").
     */
    public Outcome add(String key, long delta, String requestId, ReadConsistency consistency, List<String> priorNodes) {
        Bound b = current();
        if (b == null) {
            return Outcome.fail("UNAVAILABLE: " + node + " has no published client port (stopped or disconnected); nothing sent");
        }
        RequestOptions options = RequestOptions.consistency(sdk(consistency));
        if (!requestId.isEmpty()) {
            options = options.withRequestId(requestId);
        }
        if (!priorNodes.isEmpty()) {
            options = options.withPriorNodes(priorNodes);
        }
        try {
            CounterValue v = delta > 0 ? b.client().increment(key, delta, options)
                    : b.client().decrement(key, -delta, options);
            return Outcome.ok(v.value());
        } catch (RuntimeException e) {
            lookUpAgain(b);
            return Outcomes.ofWriteFailure(e);
        }
    }

    @Override
    public Outcome get(String key, ReadConsistency consistency) {
        Bound b = current();
        if (b == null) {
            return Outcome.fail("UNAVAILABLE: " + node + " has no published client port (stopped or disconnected)");
        }
        try {
            return Outcome.ok(b.client().get(key, RequestOptions.consistency(sdk(consistency))).value());
        } catch (RuntimeException e) {
            lookUpAgain(b);
            return Outcomes.ofReadFailure(e);
        }
    }

    /**
     * LOCAL values of {@code keys} on this node in one call, or empty when it cannot answer now.
     * For the final reads after heal.
     */
    public Optional<Map<String, Long>> readAll(List<String> keys) {
        Bound b = current();
        if (b == null) {
            return Optional.empty();
        }
        try {
            Map<String, Long> out = new LinkedHashMap<>();
            for (CounterValue v : b.client().getMany(keys, RequestOptions.consistency(Consistency.LOCAL))) {
                out.put(v.key(), v.value());
            }
            return Optional.of(out);
        } catch (RuntimeException e) {
            lookUpAgain(b);
            return Optional.empty();
        }
    }

    /** The cluster as this node sees it, or empty when it cannot answer now. */
    public Optional<ClusterStatus> clusterStatus() {
        Bound b = current();
        if (b == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(b.client().clusterStatus());
        } catch (RuntimeException e) {
            lookUpAgain(b);
            return Optional.empty();
        }
    }

    private static Consistency sdk(ReadConsistency c) {
        return c == ReadConsistency.QUORUM ? Consistency.QUORUM : Consistency.LOCAL;
    }

    private Bound current() {
        Bound b = bound;
        if (b != null) {
            return b;
        }
        synchronized (lock) {
            if (bound == null) {
                lookUp(null);
            }
            return bound;
        }
    }

    /** After a failed call on {@code failed}: the node may have moved to another host port. */
    private void lookUpAgain(Bound failed) {
        synchronized (lock) {
            if (bound == failed) {
                lookUp(failed);
            }
        }
    }

    // Called with lock held.
    private void lookUp(Bound previous) {
        long now = System.nanoTime();
        if (closed || now - lastLookupNanos < LOOKUP_INTERVAL.toNanos()) {
            return;
        }
        lastLookupNanos = now;
        Optional<String> endpoint;
        try {
            endpoint = endpointLookup.get();
        } catch (RuntimeException e) {
            return; // Docker could not say; keep what we have and ask again later
        }
        if (previous != null && endpoint.isPresent() && endpoint.get().equals(previous.endpoint())) {
            return;
        }
        if (previous != null) {
            // Closing waits for calls still running on it; other processes may be in one, so close it at the end.
            retired.add(previous.client());
        }
        bound = endpoint.map(e -> new Bound(e, security.applyTo(TallyClient.builder()).endpoints(e).deadline(deadline)
                .retryPolicy(RetryPolicy.noRetries().withAttemptTimeout(deadline)).build())).orElse(null);
    }

    @Override
    public void close() {
        List<TallyClient> toClose;
        synchronized (lock) {
            closed = true;
            toClose = new ArrayList<>(retired);
            if (bound != null) {
                toClose.add(bound.client());
            }
            retired.clear();
            bound = null;
        }
        toClose.forEach(TallyClient::close);
    }

    @Override
    public String toString() {
        Bound b = bound;
        return "SdkCounterClient[" + node + " -> " + (b == null ? "(no endpoint)" : b.endpoint()) + "]";
    }
}
