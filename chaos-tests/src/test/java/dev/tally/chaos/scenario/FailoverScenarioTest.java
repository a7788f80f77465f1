package dev.tally.chaos.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.client.FailoverCounterClient;
import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.metrics.PrometheusText;
import dev.tally.chaos.docker.RequiresDocker;
import dev.tally.chaos.faults.Fault;
import dev.tally.chaos.faults.Faults;
import dev.tally.chaos.faults.NodeFaults;
import dev.tally.chaos.history.History;
import dev.tally.chaos.history.ReadConsistency;
import dev.tally.chaos.load.LoadDriver;
import dev.tally.chaos.load.Outcome;
import dev.tally.chaos.load.Workload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Scenario 7, exactly once across failover (issue 12): five nodes in two DCs (3 + 2). Load at
 * every node through one-node clients, and through {@link FailoverCounterClient}s that hold
 * SEVERAL endpoints (all of dc1; all of dc2; two of each DC) and let the SDK fail writes over
 * between them. Under that load, probes on a key of their own move a write's retry to another
 * node by hand (the SDK's {@code withPriorNodes}), first with the DCs connected, then with them cut
 * apart:
 *
 * <ul>
 *   <li>acknowledged, then SIGKILL: the node that just acknowledged request r is killed at once,
 *       and r is retried on another node listing it; the retry cannot ask the dead node, so it is
 *       applied and resolved in the background; the restarted node's record settles it, and one
 *       application is undone;
 *   <li>killed in flight: r is sent and its node killed before the answer is read (applied or
 *       not), then retried elsewhere;
 *   <li>applied elsewhere (both up): the retry is answered with the first node's own values;
 *   <li>fenced (both up): the retry lands first; the original attempt, arriving later, is refused
 *       with ABORTED naming the node that handles it;
 *   <li>applied on both sides of the cut: the retry cannot reach the prior node, the original then
 *       reaches it; both count until the heal resolves it.
 * </ul>
 *
 * <p>After the heal, no node may have a resolution pending, and every node must show the exact
 * total: each request id counted once (an add whose outcome stayed unknown may count 0 or 1).
 * Survivors' metrics must show that the resolutions and undos really happened.
 */
@RequiresDocker
class FailoverScenarioTest {

    private static final Duration GRACE = Duration.ofSeconds(30);
    private static final Duration SETTLE = Duration.ofSeconds(45);
    /** A pending resolution retries backing off to 30 s; the cut lasts ~20 s, so its next try comes within ~30 s of the heal. */
    private static final Duration PENDING_CAP = Duration.ofSeconds(60);
    /** How long a probe keeps retrying one attempt that should succeed (a node just restarted, say). */
    private static final Duration PROBE_CAP = Duration.ofSeconds(15);
    private static final int PROBE_PROCESS = 1000;

    @Test
    void dcPartitionAndSigkill_clientsFailingOverWithinAndAcrossDcs_eachRequestIdCountedOnce() throws Exception {
        ClusterSpec spec = ChaosNodes.spec()
                .node("n1", "dc1").node("n2", "dc1").node("n3", "dc1")
                .node("n4", "dc2").node("n5", "dc2")
                .build();
        Scenario.run("failover", spec, 4, s -> {
            Faults faults = new Faults(s.cluster().topology());
            Random random = s.random("roles");
            List<String> dc1 = new ArrayList<>(faults.nodesIn("dc1"));
            List<String> dc2 = new ArrayList<>(faults.nodesIn("dc2"));
            Collections.shuffle(dc1, random);
            Collections.shuffle(dc2, random);
            // killed1/killed2 are the only nodes ever killed, so the survivors' metrics count the whole run.
            String killed1 = dc1.get(0);
            String a1 = dc1.get(1);
            String b1 = dc1.get(2);
            String killed2 = dc2.get(0);
            String c2 = dc2.get(1);
            s.note("roles: killed " + killed1 + " and " + killed2 + "; survivors " + a1 + ", " + b1 + ", " + c2);

            List<String> loadKeys = s.keys().subList(0, 3);
            Probes probes = new Probes(s, s.keys().get(3), random);
            List<FailoverCounterClient> failoverClients = List.of(
                    s.failoverClient("fo-dc1", List.copyOf(faults.nodesIn("dc1"))),
                    s.failoverClient("fo-dc2", List.copyOf(faults.nodesIn("dc2"))),
                    s.failoverClient("fo-x", List.of(a1, c2, killed1, killed2)));
            Map<String, Double> before = survivorMeters(s, List.of(a1, b1, c2));

            Workload base = s.workload(Duration.ofMinutes(10)).withKeys(loadKeys);
            LoadDriver nodeLoad = s.startLoad("nodes", base.withProcessesPerNode(1));
            // LOCAL reads only: a failover client's read may be answered in the other DC, so QUORUM
            // read-your-writes (a per-DC promise) is checked on the one-node clients alone.
            LoadDriver failoverLoad = s.startLoadThrough("failover", base.withQuorumShares(0.33, 0), failoverClients);
            s.awaitAcknowledged(s.nodes(), 0, 50, Duration.ofSeconds(30));

            // Round 1: DCs connected.
            probes.acknowledgedThenKilled(killed1, a1);
            probes.killedInFlight(killed2, b1);
            probes.appliedElsewhere(a1, c2);
            probes.fenced(c2, b1);

            // Round 2: DCs cut apart; every retry below crosses the cut.
            Fault.Healer split = s.inject(faults.dcPartition());
            probes.acknowledgedThenKilled(killed1, c2);
            probes.killedInFlight(killed2, a1);
            probes.appliedOnBothSides(b1, c2);
            // c2 cannot reach dc1 to resolve the retries it applied, restarted or not.
            long pendingOnC2 = s.status(c2).orElseThrow(() -> new AssertionError(c2 + " does not answer"))
                    .failoverPending();
            s.note(c2 + " shows " + pendingOnC2 + " pending failover resolutions while cut off");
            assertThat(pendingOnC2).as("retries %s applied without reaching dc1", c2).isGreaterThanOrEqualTo(2);

            long healedAt = s.history().now();
            split.heal();
            s.awaitAcknowledged(s.nodes(), healedAt, 30, Duration.ofSeconds(30));
            s.stopLoad(nodeLoad, GRACE);
            s.stopLoad(failoverLoad, GRACE);

            s.awaitNoFailoverPending(PENDING_CAP);
            s.checkFinalValues(SETTLE);

            s.nodes().forEach(n -> failoverLogLines(s, n).forEach(l -> s.note(n + " log: " + l)));
            Map<String, Double> after = survivorMeters(s, List.of(a1, b1, c2));
            s.note("survivors' failover meters before " + before + ", after " + after);
            // Each undo is made by the node that applied the retry while its prior node could not
            // answer (the prior node counts the write and waits for nobody, so the retry yields):
            // a1 once (round 1), c2 twice (round 2).
            assertThat(delta(before, after, a1, COMPENSATIONS)).as("undos on %s", a1).isGreaterThanOrEqualTo(1);
            assertThat(delta(before, after, c2, COMPENSATIONS)).as("undos on %s", c2).isGreaterThanOrEqualTo(2);
            assertThat(delta(before, after, c2, "applied_elsewhere")).as("retries %s answered from %s", c2, a1)
                    .isGreaterThanOrEqualTo(1);
            assertThat(delta(before, after, b1, "fenced")).as("retries %s applied after fencing %s", b1, c2)
                    .isGreaterThanOrEqualTo(1);
        });
    }

    private static final String COMPENSATIONS = "compensations";

    /** Per survivor: its undo count and its resolutions by outcome, as "node/what". */
    private static Map<String, Double> survivorMeters(Scenario s, List<String> nodes) {
        Map<String, Double> out = new TreeMap<>();
        for (String n : nodes) {
            PrometheusText m = s.metrics(n);
            out.put(n + "/" + COMPENSATIONS, m.samples("tally_failover_compensations_total").stream()
                    .mapToDouble(PrometheusText.Sample::value).sum());
            m.samples("tally_failover_resolutions_total").forEach(x -> out.merge(n + "/" + x.label("outcome"),
                    x.value(), Double::sum));
        }
        return out;
    }

    /**
     * {@code node}'s warnings about resolving retried writes and about taking a new replica id, for
     * the record. A node restarted after SIGKILL takes a new replica id but keeps its records (a
     * crash loses a record only with its count), so its answers stay trusted; only a dir that may
     * be an older copy is not (docs/api.md "How a node resolves a retry").
     */
    private static List<String> failoverLogLines(Scenario s, String node) {
        return s.cluster().node(node).logsTail(20_000).lines()
                .filter(l -> l.contains("WARN") && (l.contains("request id '") || l.contains("replica id")))
                .map(l -> l.length() > 400 ? l.substring(0, 400) + "..." : l)
                .toList();
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String node, String what) {
        String k = node + "/" + what;
        return after.getOrDefault(k, 0.0) - before.getOrDefault(k, 0.0);
    }

    /**
     * Writes on the probe key, each with its own request id, sent to chosen nodes and recorded in
     * the history (process {@value #PROBE_PROCESS}); no load touches the key, so a count that is
     * over while a resolution is pending breaks no read bound, and the key's final value is the
     * exact sum of the probes.
     */
    private static final class Probes {
        private final Scenario s;
        private final String key;
        private final Random random;
        private int next;

        Probes(Scenario s, String key, Random random) {
            this.s = s;
            this.key = key;
            this.random = random;
        }

        /** {@code first} acknowledges r and is killed at once; r goes to {@code second} listing it. */
        void acknowledgedThenKilled(String first, String second) {
            Write w = newWrite("acknowledged by " + first + ", then kill -9, retry on " + second);
            w.untilAcknowledged(first, List.of());
            Fault.Healer restart = s.inject(new NodeFaults.Kill(first));
            w.untilAcknowledged(second, List.of(first));
            restart.heal();
        }

        /** r is sent to {@code first}, which is killed before the answer is read; r goes to {@code second}. */
        void killedInFlight(String first, String second) throws Exception {
            Write w = newWrite("sent to " + first + ", kill -9 in flight, retry on " + second);
            CompletableFuture<Outcome> inFlight = CompletableFuture.supplyAsync(() -> w.attempt(first, List.of()));
            Fault.Healer restart = s.inject(new NodeFaults.Kill(first));
            Outcome o = inFlight.get(ChaosNodes.CALL_DEADLINE.toSeconds() + 10, TimeUnit.SECONDS);
            s.note("probe " + w.requestId + ": the attempt on " + first + " came back " + o);
            w.untilAcknowledged(second, List.of(first));
            restart.heal();
        }

        /** Both up: {@code first} applies r; the retry on {@code second} answers {@code first}'s value. */
        void appliedElsewhere(String first, String second) {
            Write w = newWrite("applied on " + first + ", retried on " + second);
            long original = w.untilAcknowledged(first, List.of());
            long retried = w.untilAcknowledged(second, List.of(first));
            assertThat(retried).as("%s's answer to the retry of %s applied on %s", second, w.requestId, first)
                    .isEqualTo(original);
        }

        /** Both up: the retry on {@code second} fences {@code first}; the original attempt then gets ABORTED. */
        void fenced(String first, String second) {
            Write w = newWrite("retry on " + second + " first, then the original on " + first);
            w.untilAcknowledged(second, List.of(first));
            Outcome late = w.attempt(first, List.of());
            String reason = late instanceof Outcome.Indeterminate i ? i.reason()
                    : late instanceof Outcome.Fail f ? f.reason() : "acknowledged: " + late;
            assertThat(reason).as("the late original attempt of %s on %s", w.requestId, first)
                    .contains("ABORTED").contains("being handled by " + second);
        }

        /** Cut apart: the retry on {@code second} cannot ask {@code first}; the original then reaches {@code first}. */
        void appliedOnBothSides(String first, String second) {
            Write w = newWrite("retry on " + second + " cannot ask " + first + ", then the original on " + first);
            w.untilAcknowledged(second, List.of(first));
            w.untilAcknowledged(first, List.of());
        }

        private Write newWrite(String what) {
            long amount = 1 + random.nextInt(5);
            long delta = random.nextInt(4) == 0 ? -amount : amount;
            Write w = new Write(s.cluster().runId() + "-probe-" + next++, delta);
            s.note("probe " + w.requestId + " (" + delta + "): " + what);
            return w;
        }

        /** One logical write: every attempt carries its request id and amount. */
        private final class Write {
            final String requestId;
            final long delta;

            Write(String requestId, long delta) {
                this.requestId = requestId;
                this.delta = delta;
            }

            /** One attempt on {@code node}, recorded in the history. */
            Outcome attempt(String node, List<String> priorNodes) {
                History.Attempt a = s.history().invokeAdd(PROBE_PROCESS, node, key, delta, requestId,
                        ReadConsistency.LOCAL);
                Outcome o = s.client(node).add(key, delta, requestId, ReadConsistency.LOCAL, priorNodes);
                if (o instanceof Outcome.Ok ok) {
                    a.ok(ok.value());
                } else if (o instanceof Outcome.Fail f) {
                    a.fail(f.reason());
                } else {
                    a.info(((Outcome.Indeterminate) o).reason());
                }
                return o;
            }

            /** Attempts on {@code node} until one is acknowledged (within {@link #PROBE_CAP}); its value. */
            long untilAcknowledged(String node, List<String> priorNodes) {
                List<Outcome> outcomes = new ArrayList<>();
                Supplier<Boolean> acknowledged = () -> {
                    Outcome o = attempt(node, priorNodes);
                    outcomes.add(o);
                    return o instanceof Outcome.Ok;
                };
                try {
                    Awaitility.await("probe " + requestId + " acknowledged by " + node).atMost(PROBE_CAP)
                            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200)).until(acknowledged::get);
                } catch (ConditionTimeoutException e) {
                    throw new AssertionError("probe " + requestId + " on " + node + " (prior_nodes " + priorNodes
                            + ") not acknowledged within " + PROBE_CAP + ": " + outcomes, e);
                }
                long value = ((Outcome.Ok) outcomes.get(outcomes.size() - 1)).value();
                s.note("probe " + requestId + " acknowledged by " + node + " (prior_nodes " + priorNodes + ") after "
                        + outcomes.size() + " attempt(s): value " + value);
                return value;
            }
        }
    }
}
