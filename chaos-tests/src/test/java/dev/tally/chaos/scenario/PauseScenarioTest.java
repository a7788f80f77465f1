package dev.tally.chaos.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.docker.RequiresDocker;
import dev.tally.chaos.faults.Fault;
import dev.tally.chaos.faults.NodeFaults;
import dev.tally.chaos.history.AttemptStats;
import dev.tally.chaos.load.LoadDriver;
import dev.tally.client.ClusterMember;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Scenario 4: one node of a three-node DC frozen (docker pause: its sockets stay open, nothing
 * answers) under load at every node, until the others have declared it dead and served a good
 * stretch of operations without it. The others must keep serving reads and writes, LOCAL and
 * QUORUM, at about the latency they had before (a liveness check with a generous bound, not a
 * speed test); after it resumes, the frozen node catches up and every node shows the exact total.
 */
@RequiresDocker
class PauseScenarioTest {

    /** Acknowledged attempts on the other nodes that make up each measured window. */
    private static final int WINDOW_OPS = 400;
    private static final Duration CAP = Duration.ofSeconds(90);

    @Test
    void pausedNode_othersKeepServingAtNormalLatency_andItCatchesUpExactlyOnResume() throws Exception {
        ClusterSpec spec = ChaosNodes.spec().node("n1", "dc1").node("n2", "dc1").node("n3", "dc1").build();
        Scenario.run("pause", spec, 4, s -> {
            List<String> others = new ArrayList<>(s.nodes());
            String frozen = others.remove(s.random("victim").nextInt(others.size()));
            LoadDriver load = s.startLoad("load", s.workload(Duration.ofMinutes(10)));

            // Warm up first (JIT, connections), so the window before the pause shows the usual latency.
            s.awaitAcknowledged(others, 0, WINDOW_OPS / 2, CAP);
            long beforeStart = s.history().now();
            s.awaitAcknowledged(others, beforeStart, WINDOW_OPS, CAP);
            long pausedAt = s.history().now();
            Fault.Healer resume = s.inject(new NodeFaults.Pause(frozen));
            s.awaitMemberState(others, frozen, EnumSet.of(ClusterMember.State.DEAD), CAP);
            s.awaitAcknowledged(others, pausedAt, WINDOW_OPS, CAP);
            long resumedAt = s.history().now();
            resume.heal();
            s.awaitAcknowledged(List.of(frozen), resumedAt, 50, CAP);
            s.stopLoad(load, Duration.ofSeconds(30));
            s.checkFinalValues(Duration.ofSeconds(60));

            AttemptStats before = AttemptStats.of(s.history().events(), others, beforeStart, pausedAt);
            AttemptStats during = AttemptStats.of(s.history().events(), others, pausedAt, resumedAt);
            s.note("others before the pause: " + before.describe() + "; during it: " + during.describe());
            assertThat(during.successRate()).as("share of attempts on %s acknowledged while %s was frozen (%s)", others,
                    frozen, during.describe()).isGreaterThanOrEqualTo(0.98);
            // Generous: five times the median before, plus 100 ms. A node that waited on the frozen
            // one (a peer call on the request path, a blocked replica thread) would take its
            // peer timeout (1 s) or the client's deadline (3 s) instead.
            assertThat(during.p50Nanos()).as("median latency on %s while %s was frozen (before: %s; during: %s)",
                    others, frozen, before.describe(), during.describe())
                    .isLessThanOrEqualTo(5 * before.p50Nanos() + Duration.ofMillis(100).toNanos());
        });
    }
}
