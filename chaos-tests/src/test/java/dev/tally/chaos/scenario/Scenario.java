package dev.tally.chaos.scenario;

import dev.tally.chaos.client.FailoverCounterClient;
import dev.tally.chaos.client.SdkCounterClient;
import dev.tally.chaos.cluster.ClusterNode;
import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.cluster.TallyCluster;
import dev.tally.chaos.faults.Fault;
import dev.tally.chaos.faults.FaultRunner;
import dev.tally.chaos.faults.FaultSchedule;
import dev.tally.chaos.history.AttemptStats;
import dev.tally.chaos.history.CheckResult;
import dev.tally.chaos.history.EventType;
import dev.tally.chaos.history.FinalValueChecker;
import dev.tally.chaos.history.FinalValueChecker.FinalRead;
import dev.tally.chaos.history.History;
import dev.tally.chaos.history.LogicalAdd;
import dev.tally.chaos.history.Operations;
import dev.tally.chaos.history.QuorumReadChecker;
import dev.tally.chaos.history.ReadConsistency;
import dev.tally.chaos.history.ViolationReport;
import dev.tally.chaos.load.CounterClient;
import dev.tally.chaos.load.LoadDriver;
import dev.tally.chaos.load.Workload;
import dev.tally.chaos.metrics.PrometheusText;
import dev.tally.chaos.seed.ChaosSeed;
import dev.tally.client.ClusterMember;
import dev.tally.client.ClusterStatus;
import dev.tally.client.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One chaos scenario against a fresh Tally cluster: the seed every random choice comes from, the
 * cluster, one SDK client per node (so load reaches every node), one history of every client
 * attempt, and one fault log on the history's clock. Helpers run load, inject faults, wait for
 * convergence (polling with a deadline) and check the history; {@link #run} prints the seed
 * first and, when the body fails, every node's state and log tail, its counters and cluster view,
 * the fault log and the load figures.
 *
 * <p>Threads: made and closed by the test thread. Load and fault threads touch the history and
 * the fault log (both thread-safe) and the clients (thread-safe). {@code drivers} is only used by
 * the test thread.
 */
public final class Scenario implements AutoCloseable {

    /** The body of a scenario. */
    @FunctionalInterface
    public interface Body {
        void accept(Scenario scenario) throws Exception;
    }

    /** Property with a longer run time for the long scenarios (ISO-8601 like PT5M, or seconds). */
    public static final String DURATION_PROPERTY = "tally.chaos.duration";

    private static final Duration MEMBERSHIP_CAP = Duration.ofSeconds(60);
    /**
     * A failover client's retries within one call: 4 attempts, each allowed the per-node clients'
     * deadline (above the quorum timeout, so a QUORUM write's failure comes back in the node's words).
     */
    static final RetryPolicy FAILOVER_RETRIES = RetryPolicy.defaults().withMaxAttempts(4)
            .withBackoff(Duration.ofMillis(25), Duration.ofMillis(500)).withAttemptTimeout(ChaosNodes.CALL_DEADLINE);
    /** A failover client's bound on one call, its retries included. */
    static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(8);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final long seed;
    private final TallyCluster cluster;
    private final History history = new History();
    private final Map<String, SdkCounterClient> clients = new LinkedHashMap<>();
    private final List<String> keys;
    private final List<String> faultLog = new CopyOnWriteArrayList<>();
    private final List<LoadDriver> drivers = new ArrayList<>();
    private final List<FailoverCounterClient> failoverClients = new CopyOnWriteArrayList<>();

    private Scenario(String name, long seed, TallyCluster cluster, int keyCount) {
        this.name = name;
        this.seed = seed;
        this.cluster = cluster;
        this.keys = IntStream.range(0, keyCount).mapToObj(i -> "chaos:" + name + ":" + i).toList();
        for (ClusterNode n : cluster.nodes()) {
            clients.put(n.name(), new SdkCounterClient(n.name(), () -> clientEndpoint(n), ChaosNodes.CALL_DEADLINE,
                    cluster.spec().clientSecurity()));
        }
        cluster.addDiagnostics("seed", () -> "SEED=" + seed + " (replay with -D" + ChaosSeed.PROPERTY + "=" + seed + ")");
        cluster.addDiagnostics("scenario fault log (history clock)", () -> String.join("\n", faultLog));
        cluster.addDiagnostics("load", () -> drivers.stream().map(LoadDriver::stats).collect(Collectors.joining("\n")));
        cluster.addDiagnostics("counters per node (LOCAL reads now)", this::describeCounters);
        cluster.addDiagnostics("cluster status per node", this::describeStatuses);
    }

    /**
     * Resolves the seed (printed first), starts {@code spec}'s cluster, waits until every node sees
     * every other alive, and runs {@code body}; always removes the cluster.
     *
     * @param keyCount how many counters the scenario's load spreads over
     */
    public static void run(String name, ClusterSpec spec, int keyCount, Body body) throws Exception {
        long seed = ChaosSeed.resolve(name);
        long t0 = System.nanoTime();
        try (TallyCluster cluster = TallyCluster.start(spec); Scenario s = new Scenario(name, seed, cluster, keyCount)) {
            try {
                s.awaitMembership();
                body.accept(s);
            } catch (Exception | Error e) {
                // Printed here, not by TallyCluster.run, so the clients can still read every node's counters.
                System.out.println(name + ": FAILED (" + e.getClass().getSimpleName() + "); SEED=" + seed
                        + "; cluster state after failure:\n" + cluster.diagnostics());
                s.addReadVerdict(e);
                throw e;
            }
        }
        System.out.printf("%s: passed in %.1f s (SEED=%d)%n", name, (System.nanoTime() - t0) / 1e9, seed);
    }

    /** A scenario's run time: {@code -Dtally.chaos.duration} when set, else {@code standard}. */
    public static Duration configuredDuration(Duration standard) {
        String v = System.getProperty(DURATION_PROPERTY, "").trim();
        if (v.isEmpty()) {
            return standard;
        }
        try {
            return v.startsWith("P") || v.startsWith("p") ? Duration.parse(v) : Duration.ofSeconds(Long.parseLong(v));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("-D" + DURATION_PROPERTY + " must be an ISO-8601 duration (PT5M) or"
                    + " seconds, was '" + v + "'", e);
        }
    }

    private static Optional<String> clientEndpoint(ClusterNode n) {
        return n.hostAddress(ClusterSpec.CLIENT_PORT).map(a -> "127.0.0.1:" + a.getPort());
    }

    public long seed() {
        return seed;
    }

    /** A random stream for one part of the scenario, derived from the seed. */
    public Random random(String component) {
        return new Random(ChaosSeed.derive(seed, component));
    }

    public TallyCluster cluster() {
        return cluster;
    }

    public History history() {
        return history;
    }

    public List<String> keys() {
        return keys;
    }

    public List<String> nodes() {
        return List.copyOf(clients.keySet());
    }

    public SdkCounterClient client(String node) {
        return Objects.requireNonNull(clients.get(node), () -> "no client for " + node);
    }

    /**
     * A client with the endpoints of {@code onNodes} and the SDK's own retries and write failover
     * on ({@link FailoverCounterClient}), as an application would use it; closed with the scenario.
     *
     * @param name its name in the history (no node's name)
     */
    public FailoverCounterClient failoverClient(String name, List<String> onNodes) {
        if (clients.containsKey(name)) {
            throw new IllegalArgumentException("a failover client cannot be called like node " + name);
        }
        onNodes.forEach(this::client); // each must be a node
        FailoverCounterClient c = new FailoverCounterClient(name, onNodes, n -> clientEndpoint(cluster.node(n)),
                FAILOVER_RETRIES, FAILOVER_DEADLINE, cluster.spec().clientSecurity());
        failoverClients.add(c);
        return c;
    }

    /** The faults (and scenario steps) so far, one line each, on the history's clock. */
    public List<String> faultLog() {
        return List.copyOf(faultLog);
    }

    // ------------------------------------------------------------------ load

    /**
     * The scenario's usual load: two processes per node, 30% reads (half QUORUM), 20% of writes
     * decrements, a third of the writes QUORUM, every write retried with its request id on its
     * node until acknowledged, 20 ms between operations.
     */
    public Workload workload(Duration duration) {
        return Workload.mixed(keys, Integer.MAX_VALUE, duration)
                .withProcessesPerNode(2)
                .withQuorumShares(0.33, 0.5)
                .withRetryUntilAck(true)
                .withRetryBackoff(Duration.ofMillis(100))
                .withThinkTime(Duration.ofMillis(20));
    }

    /** Starts {@code workload} at every node; {@code phase} tags its request ids and seeds its randomness. */
    public LoadDriver startLoad(String phase, Workload workload) {
        return startLoad(phase, workload, nodes());
    }

    /** Starts {@code workload} at {@code onNodes} only. */
    public LoadDriver startLoad(String phase, Workload workload, Collection<String> onNodes) {
        List<SdkCounterClient> targets = onNodes.stream().map(this::client).toList();
        LoadDriver driver = new LoadDriver(history, List.copyOf(targets), workload, ChaosSeed.derive(seed, phase),
                cluster.runId() + "-" + phase);
        drivers.add(driver);
        note("load " + phase + " starts on " + onNodes);
        driver.start();
        return driver;
    }

    /** Starts {@code workload} through {@code targets} (failover clients, say), its processes on each. */
    public LoadDriver startLoadThrough(String phase, Workload workload, List<? extends CounterClient> targets) {
        LoadDriver driver = new LoadDriver(history, List.copyOf(targets), workload, ChaosSeed.derive(seed, phase),
                cluster.runId() + "-" + phase);
        drivers.add(driver);
        note("load " + phase + " starts through " + targets);
        driver.start();
        return driver;
    }

    /**
     * Stops issuing new operations and lets writes still retrying get acknowledged within {@code grace}
     * (the faults must be healed by then).
     */
    public void stopLoad(LoadDriver driver, Duration grace) throws InterruptedException {
        driver.stop(grace);
        note("load stopped: " + driver.stats());
    }

    // ------------------------------------------------------------------ faults

    /** Records a scenario step in the fault log. */
    public void note(String what) {
        String line = String.format("+%.3fs %s", history.now() / 1e9, what);
        faultLog.add(line);
        System.out.println(name + ": " + line);
    }

    /** Injects {@code fault} now, logging it; the healer logs the heal. */
    public Fault.Healer inject(Fault fault) {
        long t = System.nanoTime();
        Fault.Healer healer = fault.inject(cluster);
        note(String.format("injected %s (took %.2fs)", fault.describe(), (System.nanoTime() - t) / 1e9));
        return () -> {
            long h = System.nanoTime();
            healer.heal();
            note(String.format("healed %s (took %.2fs)", fault.describe(), (System.nanoTime() - h) / 1e9));
        };
    }

    /** Starts playing {@code schedule}; its lines join the fault log. */
    public FaultRunner play(FaultSchedule schedule) {
        schedule.describe().forEach(l -> faultLog.add("  planned: " + l));
        FaultRunner runner = new FaultRunner(cluster, schedule, history::now, faultLog::add);
        runner.start();
        return runner;
    }

    // ------------------------------------------------------------------ observing the cluster

    /** Waits until every node lists every node as ALIVE. */
    public void awaitMembership() {
        awaitMembership(nodes(), MEMBERSHIP_CAP);
    }

    /** Waits until each of {@code observers} lists every node of the cluster as ALIVE. */
    public void awaitMembership(Collection<String> observers, Duration cap) {
        long t0 = System.nanoTime();
        try {
            Awaitility.await(name + ": every member alive as " + observers + " see it").atMost(cap)
                    .pollInterval(Duration.ofMillis(200)).until(() -> observers.stream().allMatch(this::seesAllAlive));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(name + ": membership did not settle within " + cap + ":\n" + describeStatuses(), e);
        }
        note(String.format("every member alive as %s see it (%.1fs)", observers, (System.nanoTime() - t0) / 1e9));
    }

    private boolean seesAllAlive(String observer) {
        return status(observer).map(s -> s.members().stream().filter(m -> m.state() == ClusterMember.State.ALIVE)
                .map(ClusterMember::name).collect(Collectors.toSet()).containsAll(clients.keySet())).orElse(false);
    }

    /** Waits until every one of {@code observers} shows {@code member} in one of {@code states}. */
    public void awaitMemberState(Collection<String> observers, String member, Set<ClusterMember.State> states,
                                 Duration cap) {
        long t0 = System.nanoTime();
        try {
            Awaitility.await(name + ": " + observers + " see " + member + " " + states).atMost(cap)
                    .pollInterval(Duration.ofMillis(100)).until(() -> observers.stream().allMatch(o -> status(o)
                            .flatMap(st -> st.members().stream().filter(m -> m.name().equals(member)).findFirst())
                            .map(m -> states.contains(m.state())).orElse(false)));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(name + ": " + observers + " did not see " + member + " in " + states + " within "
                    + cap + ":\n" + describeStatuses(), e);
        }
        note(String.format("%s see %s %s (%.1fs)", observers, member, states, (System.nanoTime() - t0) / 1e9));
    }

    /**
     * Waits until {@code count} attempts sent to {@code nodes} since {@code sinceNanos} (history
     * clock) were acknowledged: windows of load measured in operations, not in wall time.
     */
    public void awaitAcknowledged(Collection<String> nodes, long sinceNanos, int count, Duration cap) {
        try {
            Awaitility.await(name + ": " + count + " acknowledged attempts on " + nodes).atMost(cap)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> history.events().stream().filter(e -> e.type() == EventType.OK && e.nanos() >= sinceNanos
                            && nodes.contains(e.node())).count() >= count);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(name + ": fewer than " + count + " attempts on " + nodes
                    + " acknowledged within " + cap + "; " + AttemptStats.of(history.events(), nodes, sinceNanos,
                    Long.MAX_VALUE).describe(), e);
        }
    }

    /** {@code node}'s view of the cluster, or empty when it does not answer. */
    public Optional<ClusterStatus> status(String node) {
        return client(node).clusterStatus();
    }

    /** {@code node}'s /metrics. */
    public PrometheusText metrics(String node) {
        var address = cluster.node(node).hostAddress(ClusterSpec.METRICS_PORT)
                .orElseThrow(() -> new IllegalStateException(node + " publishes no metrics port now"));
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/metrics"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(node + " /metrics answered " + response.statusCode());
            }
            return PrometheusText.parse(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("GET /metrics on " + node + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Waits until every node answers and shows no retried write still being resolved
     * ({@code ClusterStatus.failoverPending() == 0}); a pending one may still be counted twice.
     */
    public void awaitNoFailoverPending(Duration cap) {
        long t0 = System.nanoTime();
        try {
            Awaitility.await(name + ": no failover resolution pending on any node").atMost(cap)
                    .pollInterval(Duration.ofMillis(250)).until(() -> nodes().stream()
                            .allMatch(n -> status(n).map(st -> st.failoverPending() == 0).orElse(false)));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(name + ": retried writes still pending resolution after " + cap + ": "
                    + failoverPendingPerNode() + "\n" + describeStatuses(), e);
        }
        note(String.format("no failover resolution pending on any node (%.1fs)", (System.nanoTime() - t0) / 1e9));
    }

    /** Each node's {@code failoverPending}, or "?" where it does not answer. */
    public Map<String, String> failoverPendingPerNode() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String n : nodes()) {
            out.put(n, status(n).map(st -> Long.toString(st.failoverPending())).orElse("?"));
        }
        return out;
    }

    /**
     * Polls every node of {@code onNodes} (LOCAL reads of every key) until all answer the same
     * values in two rounds running, or {@code cap} passes; returns the last round either way (the
     * checker then reports what did not converge).
     */
    public Map<String, Map<String, Long>> awaitConvergence(Collection<String> onNodes, Duration cap) {
        long t0 = System.nanoTime();
        AtomicReference<Map<String, Map<String, Long>>> last = new AtomicReference<>(Map.of());
        AtomicReference<Map<String, Map<String, Long>>> previous = new AtomicReference<>(Map.of());
        try {
            Awaitility.await(name + ": " + onNodes + " converge").atMost(cap).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        Map<String, Map<String, Long>> round = readAll(onNodes);
                        previous.set(last.get());
                        last.set(round);
                        return round.size() == onNodes.size() && round.values().stream().distinct().count() == 1
                                && round.equals(previous.get());
                    });
            note(String.format("%s converged in %.1fs: %s", onNodes, (System.nanoTime() - t0) / 1e9,
                    last.get().values().iterator().next()));
        } catch (ConditionTimeoutException e) {
            note("NOT converged within " + cap + ": " + last.get());
        }
        return last.get();
    }

    private Map<String, Map<String, Long>> readAll(Collection<String> onNodes) {
        Map<String, Map<String, Long>> round = new LinkedHashMap<>();
        for (String n : onNodes) {
            client(n).readAll(keys).ifPresent(values -> round.put(n, values));
        }
        return round;
    }

    // ------------------------------------------------------------------ checks

    /**
     * Waits for every node to converge, then checks the whole history: the final value on every
     * node (Maelstrom's rule; exact when every write was acknowledged) and every read during the
     * run (Jepsen's bounds; QUORUM reads must see the QUORUM writes acknowledged in their DC).
     * Throws the violation report.
     */
    public void checkFinalValues(Duration convergenceCap) {
        Map<String, Map<String, Long>> finalValues = awaitConvergence(nodes(), convergenceCap);
        assertValid(checkHistory(finalValues, nodes()));
    }

    /** The two checkers over the history so far, with {@code finalValues} as the reads after heal. */
    public CheckResult checkHistory(Map<String, Map<String, Long>> finalValues, Collection<String> mustAgree) {
        Operations ops = Operations.of(history.events());
        List<FinalRead> reads = new ArrayList<>();
        finalValues.forEach((node, values) -> values.forEach((key, v) -> reads.add(new FinalRead(node, key, v))));
        // Reads during the run first: "a count that was never sent" names the cause when the final
        // values are wrong (or missing because the nodes stopped answering).
        CheckResult result = new QuorumReadChecker(QuorumReadChecker.Visibility.quorumWritesInSameDc(cluster.topology()))
                .check(ops).and(new FinalValueChecker().check(ops, reads, mustAgree));
        System.out.println(name + ": " + summary(ops));
        return result;
    }

    /**
     * A scenario that failed before its final check (the cluster stopped answering, say) still
     * gets the verdict on the reads it recorded: a read showing a count that was never sent, or a
     * QUORUM read missing an acknowledged write, usually says why.
     */
    private void addReadVerdict(Throwable failure) {
        if (failure.getMessage() != null && failure.getMessage().contains(" violation(s). SEED=")) {
            return; // the failure is the checkers' own report
        }
        try {
            CheckResult reads = new QuorumReadChecker(QuorumReadChecker.Visibility.quorumWritesInSameDc(
                    cluster.topology())).check(Operations.of(history.events()));
            String verdict = reads.valid() ? "the reads recorded so far are all within the counter bounds"
                    : "the reads recorded so far break the counter bounds:\n" + ViolationReport.format(seed, faultLog(), reads);
            System.out.println(name + ": " + verdict);
            failure.addSuppressed(new AssertionError(verdict));
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** Throws the violation report (seed, fault log, operations involved) if {@code result} has violations. */
    public void assertValid(CheckResult result) {
        ViolationReport.assertValid(seed, faultLog(), result);
    }

    /** Counts of the history: adds by outcome, attempts, reads by consistency. */
    public static String summary(Operations ops) {
        Map<EventType, Long> adds = ops.adds().stream().collect(Collectors.groupingBy(LogicalAdd::status,
                Collectors.counting()));
        long attempts = ops.adds().stream().mapToLong(a -> a.attempts().size()).sum();
        long retried = ops.adds().stream().filter(a -> a.attempts().size() > 1).count();
        long quorumReads = ops.reads().stream().filter(r -> r.outcome() == EventType.OK
                && r.invoke().consistency() == ReadConsistency.QUORUM).count();
        long okReads = ops.reads().stream().filter(r -> r.outcome() == EventType.OK).count();
        return ops.adds().size() + " adds (" + adds.getOrDefault(EventType.OK, 0L) + " acknowledged, "
                + adds.getOrDefault(EventType.INFO, 0L) + " indeterminate, " + adds.getOrDefault(EventType.FAIL, 0L)
                + " failed; " + attempts + " attempts, " + retried + " retried), " + ops.reads().size() + " reads ("
                + okReads + " answered, " + quorumReads + " of them QUORUM)";
    }

    private String describeCounters() {
        StringBuilder sb = new StringBuilder();
        for (String n : nodes()) {
            sb.append(n).append(": ").append(client(n).readAll(keys).map(Object::toString).orElse("(no answer)"))
                    .append('\n');
        }
        return sb.toString();
    }

    private String describeStatuses() {
        StringBuilder sb = new StringBuilder();
        for (String n : nodes()) {
            sb.append(n).append(" sees:");
            Optional<ClusterStatus> s = status(n);
            if (s.isEmpty()) {
                sb.append(" (no answer)\n");
                continue;
            }
            sb.append(" (failover pending ").append(s.get().failoverPending()).append(")\n");
            for (ClusterMember m : s.get().members()) {
                sb.append(String.format("  %-4s %-4s %-8s replica %s lag %dms pending %d%s%s%n", m.name(), m.dc(),
                        m.state(), m.replicaId(), m.replicationLag().toMillis(), m.pendingKeys(),
                        m.needsRepair() ? " NEEDS-REPAIR" : "", m.self() ? " (self)" : ""));
            }
        }
        return sb.toString();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            for (LoadDriver d : drivers) {
                d.close();
            }
        } finally {
            failoverClients.forEach(FailoverCounterClient::close);
            clients.values().forEach(SdkCounterClient::close);
        }
    }
}
