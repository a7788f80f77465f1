package dev.tally.chaos.client;

import dev.tally.chaos.history.ReadConsistency;
import dev.tally.chaos.load.CounterClient;
import dev.tally.chaos.load.Outcome;
import dev.tally.client.Consistency;
import dev.tally.client.CounterValue;
import dev.tally.client.RequestOptions;
import dev.tally.client.RetryPolicy;
import dev.tally.client.TallyClient;
import dev.tally.client.WriteOutcomeUnknownException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A {@link CounterClient} backed by the real {@link TallyClient} with SEVERAL endpoints and its own
 * retries on, as an application uses it: the SDK fails a write over to another endpoint, keeping
 * the request id and listing in {@code prior_nodes} the nodes earlier attempts may have reached.
 * When a call still ends {@link WriteOutcomeUnknownException}, the load driver retries the write
 * through this client with the same id, and this client passes the exception's {@link
 * WriteOutcomeUnknownException#priorNodes()} (accumulated over every call of that id) with it: the
 * documented by-hand retry. The history records one attempt per SDK call, under this client's
 * {@link #node() name} (the SDK does not say which node answered).
 *
 * <p>Docker publishes a restarted node's client port on a new host port, so the endpoints are
 * looked up again after a call that failed or retried (at most every {@link #LOOKUP_INTERVAL}) and
 * every {@link #REFRESH_INTERVAL} anyway; when they changed, a fresh SDK client replaces the old
 * one (it learns the nodes' names again from their {@code tally-node} headers). A node with no
 * published port (killed) is left out; with none at all, calls fail at once without sending.
 *
 * <p>Threads: the load driver's processes call it concurrently. The SDK client is thread-safe;
 * {@code lock} guards {@code bound} (volatile for {@link #toString}), {@code lastLookupNanos},
 * {@code retired} and {@code closed}; {@code priorNodes} is a concurrent map and
 * {@code troubleSeen} volatile (set by the SDK's retry listener on its scheduler thread). Docker
 * lookups happen under the lock, never during a call to a node.
 */
public final class FailoverCounterClient implements CounterClient {

    /** Least time between two endpoint lookups after a failure or a retry. */
    static final Duration LOOKUP_INTERVAL = Duration.ofMillis(300);
    /** Longest time between two lookups while every call succeeds at once. */
    static final Duration REFRESH_INTERVAL = Duration.ofSeconds(2);

    private final String name;
    private final ClientSecurity security;
    private final List<String> nodes;
    private final Function<String, Optional<String>> endpointLookup;
    private final RetryPolicy retryPolicy;
    private final Duration deadline;
    private final Object lock = new Object();
    private final Map<String, Set<String>> priorNodes = new ConcurrentHashMap<>();
    private volatile Bound bound;
    private volatile boolean troubleSeen;
    // Guarded by lock.
    private long lastLookupNanos = System.nanoTime() - REFRESH_INTERVAL.toNanos();
    private final List<TallyClient> retired = new ArrayList<>();
    private boolean closed;

    private record Bound(Map<String, String> endpoints, TallyClient client) {}

    /**
     * @param name           the client's name in the history (it is no node's name)
     * @param nodes          the nodes whose endpoints it gets, in order
     * @param endpointLookup a node's client endpoint ({@code host:port}) as the host reaches it now,
     *                       empty while it has none
     * @param retryPolicy    the SDK's retries within one call
     * @param deadline       bound on every call, its retries included
     */
    public FailoverCounterClient(String name, List<String> nodes, Function<String, Optional<String>> endpointLookup,
                                 RetryPolicy retryPolicy, Duration deadline) {
        this(name, nodes, endpointLookup, retryPolicy, deadline, ClientSecurity.NONE);
    }

    /** As above, with TLS and a token as {@code security} says. */
    public FailoverCounterClient(String name, List<String> nodes, Function<String, Optional<String>> endpointLookup,
                                 RetryPolicy retryPolicy, Duration deadline, ClientSecurity security) {
        this.security = Objects.requireNonNull(security, "security");
        this.name = Objects.requireNonNull(name, "name");
        this.nodes = List.copyOf(nodes);
        if (this.nodes.isEmpty()) {
            throw new IllegalArgumentException("nodes must not be empty");
        }
        this.endpointLookup = Objects.requireNonNull(endpointLookup, "endpointLookup");
        this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
        this.deadline = Objects.requireNonNull(deadline, "deadline");
    }

    @Override
    public String node() {
        return name;
    }

    /** The nodes this client may send to. */
    public List<String> nodes() {
        return nodes;
    }

    @Override
    public Outcome add(String key, long delta, String requestId, ReadConsistency consistency) {
        Bound b = current();
        if (b == null) {
            return Outcome.fail("UNAVAILABLE: none of " + nodes + " has a published client port; nothing sent");
        }
        RequestOptions options = RequestOptions.consistency(sdk(consistency));
        Set<String> prior = Set.of();
        if (!requestId.isEmpty()) {
            options = options.withRequestId(requestId);
            prior = priorNodes.getOrDefault(requestId, Set.of());
            if (!prior.isEmpty()) {
                options = options.withPriorNodes(List.copyOf(prior));
            }
        }
        try {
            CounterValue v = delta > 0 ? b.client().increment(key, delta, options)
                    : b.client().decrement(key, -delta, options);
            if (!requestId.isEmpty()) {
                priorNodes.remove(requestId);
            }
            return Outcome.ok(v.value());
        } catch (RuntimeException e) {
            troubleSeen = true;
            if (!requestId.isEmpty()) {
                List<String> reached = mayHaveReached(e);
                if (!reached.isEmpty()) {
                    priorNodes.compute(requestId, (id, old) -> {
                        Set<String> s = old == null ? new LinkedHashSet<>() : new LinkedHashSet<>(old);
                        s.addAll(reached);
                        return Set.copyOf(s);
                    });
                }
            }
            Outcome outcome = Outcomes.ofWriteFailure(e);
            return prior.isEmpty() ? outcome : annotate(outcome, " (retried by hand with prior_nodes " + prior + ")");
        }
    }

    @Override
    public Outcome get(String key, ReadConsistency consistency) {
        Bound b = current();
        if (b == null) {
            return Outcome.fail("UNAVAILABLE: none of " + nodes + " has a published client port");
        }
        try {
            return Outcome.ok(b.client().get(key, RequestOptions.consistency(sdk(consistency))).value());
        } catch (RuntimeException e) {
            troubleSeen = true;
            return Outcomes.ofReadFailure(e);
        }
    }

    /** The nodes a failed call may have applied the write on: the SDK's list, or "*" (any node) when in doubt. */
    private static List<String> mayHaveReached(RuntimeException e) {
        if (e instanceof WriteOutcomeUnknownException u) {
            return u.priorNodes().isEmpty() ? List.of("*") : u.priorNodes();
        }
        return Outcomes.ofWriteFailure(e) instanceof Outcome.Fail ? List.of() : List.of("*");
    }

    private static Outcome annotate(Outcome o, String note) {
        if (o instanceof Outcome.Fail f) {
            return Outcome.fail(f.reason() + note);
        }
        if (o instanceof Outcome.Indeterminate i) {
            return Outcome.indeterminate(i.reason() + note);
        }
        return o;
    }

    private static Consistency sdk(ReadConsistency c) {
        return c == ReadConsistency.QUORUM ? Consistency.QUORUM : Consistency.LOCAL;
    }

    private Bound current() {
        long now = System.nanoTime();
        synchronized (lock) {
            long since = now - lastLookupNanos;
            if (bound == null || since >= REFRESH_INTERVAL.toNanos()
                    || (troubleSeen && since >= LOOKUP_INTERVAL.toNanos())) {
                lookUp(now);
            }
            return bound;
        }
    }

    // Called with lock held.
    private void lookUp(long now) {
        if (closed) {
            return;
        }
        lastLookupNanos = now;
        troubleSeen = false;
        Map<String, String> endpoints = new LinkedHashMap<>();
        try {
            for (String n : nodes) {
                endpointLookup.apply(n).ifPresent(e -> endpoints.put(n, e));
            }
        } catch (RuntimeException e) {
            return; // Docker could not say; keep what we have and ask again later
        }
        if (bound != null && bound.endpoints().equals(endpoints)) {
            return;
        }
        if (bound != null) {
            // Closing waits for calls still running on it; other processes may be in one, so close it at the end.
            retired.add(bound.client());
        }
        bound = endpoints.isEmpty() ? null : new Bound(Map.copyOf(endpoints), security.applyTo(TallyClient.builder())
                .endpoints(List.copyOf(endpoints.values()))
                .deadline(deadline)
                .retryPolicy(retryPolicy)
                .failoverWrites(true)
                .retryListener(event -> troubleSeen = true)
                .build());
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
        return "FailoverCounterClient[" + name + " -> " + (b == null ? "(no endpoint)" : b.endpoints()) + "]";
    }
}
