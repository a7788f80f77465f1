package dev.tally.chaos.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.docker.RequiresDocker;
import dev.tally.chaos.faults.Fault;
import dev.tally.chaos.faults.Faults;
import dev.tally.chaos.load.LoadDriver;
import dev.tally.chaos.metrics.PrometheusText;
import dev.tally.client.ClusterMember;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Scenario 6: latency, jitter and packet loss on every link between two DCs (tc netem where the
 * kernel has it, else a delaying proxy in each container: {@code LinkShaping}) under load at
 * every node. While the links are slow, replication lag must be visible where an operator looks:
 * ClusterStatus shows a remote member behind, and /metrics reports a replication delay to every
 * remote peer of at least the added one-way latency (a round trip through the shaped link cannot
 * take less). After the links heal, every node shows the exact total.
 */
@RequiresDocker
class InterDcLatencyScenarioTest {

    private static final Duration CAP = Duration.ofSeconds(90);

    @Test
    void interDcLatencyAndLoss_lagIsReported_andConvergenceIsExact() throws Exception {
        ClusterSpec spec = ChaosNodes.spec()
                .node("n1", "dc1").node("n2", "dc1")
                .node("n3", "dc2").node("n4", "dc2")
                .build();
        Scenario.run("inter-dc-latency", spec, 4, s -> {
            Faults faults = new Faults(s.cluster().topology());
            Random random = s.random("shaping");
            Duration delay = Duration.ofMillis(60 + random.nextInt(61));
            double loss = 1 + random.nextInt(3);
            Fault.Healer unshape = s.inject(faults.interDcLatency("dc1", "dc2", delay, delay.dividedBy(10), loss));
            LoadDriver load = s.startLoad("load", s.workload(Duration.ofMinutes(10)));
            s.awaitAcknowledged(s.nodes(), 0, 600, CAP);

            for (String observer : List.of("n1", "n3")) {
                AtomicLong seenLagMs = new AtomicLong();
                Awaitility.await(observer + " reports a remote member behind").atMost(CAP)
                        .pollInterval(Duration.ofMillis(50)).until(() -> {
                            long lag = s.status(observer).map(st -> st.members().stream()
                                    .filter(m -> !m.dc().equals(s.cluster().node(observer).dc()))
                                    .mapToLong(m -> m.replicationLag().toMillis()).max().orElse(0)).orElse(0L);
                            seenLagMs.set(lag);
                            return lag > 0;
                        });
                Map<String, Double> p50 = remoteDelayMedians(s, observer);
                s.note(observer + " while shaped (+" + delay.toMillis() + "ms, " + loss + "% loss): ClusterStatus lag "
                        + seenLagMs.get() + " ms to a remote member; replication delay p50 to remote peers " + p50);
                assertThat(p50).as("remote peers with a replication delay on %s's /metrics", observer).hasSize(2);
                assertThat(p50.values()).as("p50 replication delay (s) from %s to the other DC, one-way latency %s",
                        observer, delay).allSatisfy(v -> assertThat(v).isGreaterThanOrEqualTo(delay.toMillis() / 1e3));
            }

            long healedAt = s.history().now();
            unshape.heal();
            s.awaitAcknowledged(s.nodes(), healedAt, 200, CAP);
            s.stopLoad(load, Duration.ofSeconds(30));
            s.checkFinalValues(Duration.ofSeconds(60));
        });
    }

    /** Peer -> p50 of tally_replication_delay_recent_seconds (quantiles over the last ~2 minutes) on {@code node}'s /metrics, for peers in the other DC. */
    private static Map<String, Double> remoteDelayMedians(Scenario s, String node) {
        String dc = s.cluster().node(node).dc();
        Map<String, Double> out = new TreeMap<>();
        PrometheusText metrics = s.metrics(node);
        for (PrometheusText.Sample sample : metrics.samples("tally_replication_delay_recent_seconds",
                x -> Double.parseDouble(x.label("quantile").isEmpty() ? "-1" : x.label("quantile")) == 0.5)) {
            String peer = sample.label("peer");
            if (!peer.isEmpty() && !s.cluster().node(peer).dc().equals(dc)) {
                out.put(peer, sample.value());
            }
        }
        return out;
    }
}
