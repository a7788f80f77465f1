package dev.tally.chaos.scenario;

import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.docker.RequiresDocker;
import dev.tally.chaos.faults.Fault;
import dev.tally.chaos.faults.Faults;
import dev.tally.chaos.history.CheckResult;
import dev.tally.chaos.history.FinalValueChecker.FinalRead;
import dev.tally.chaos.history.Operations;
import dev.tally.chaos.history.QuorumReadChecker;
import dev.tally.chaos.history.SplitViewChecker;
import dev.tally.chaos.load.LoadDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Scenario 1, the classic: five nodes in two DCs (3 + 2). Load at every node, converge; cut the
 * DCs apart and load both; each DC, settled, shows exactly what was there before the split plus
 * its own increments; heal under load; every node shows the exact total. QUORUM reads throughout
 * are checked against the writes their DC must see.
 */
@RequiresDocker
class DcPartitionScenarioTest {

    private static final Duration GRACE = Duration.ofSeconds(30);
    private static final Duration SETTLE = Duration.ofSeconds(45);

    @Test
    void dcPartition_eachDcShowsItsOwnIncrements_andEveryNodeTheExactTotalAfterHeal() throws Exception {
        ClusterSpec spec = ChaosNodes.spec()
                .node("n1", "dc1").node("n2", "dc1").node("n3", "dc1")
                .node("n4", "dc2").node("n5", "dc2")
                .build();
        Scenario.run("dc-partition", spec, 4, s -> {
            Faults faults = new Faults(s.cluster().topology());

            LoadDriver before = s.startLoad("before", s.workload(Duration.ofSeconds(5)));
            before.awaitCompletion(GRACE);
            s.assertValid(s.checkHistory(s.awaitConvergence(s.nodes(), SETTLE), s.nodes()));

            long splitIndex = s.history().events().size();
            Fault.Healer split = s.inject(faults.dcPartition());
            LoadDriver during = s.startLoad("split", s.workload(Duration.ofSeconds(8)));
            during.awaitCompletion(GRACE);
            List<FinalRead> sideReads = new ArrayList<>();
            for (String dc : faults.dcs()) {
                Map<String, Map<String, Long>> settled = s.awaitConvergence(faults.nodesIn(dc), SETTLE);
                settled.forEach((node, values) -> values.forEach((k, v) -> sideReads.add(new FinalRead(node, k, v))));
            }
            Operations ops = Operations.of(s.history().events());
            CheckResult splitView = new SplitViewChecker(s.cluster().topology()).check(ops, splitIndex, sideReads)
                    .and(new QuorumReadChecker(QuorumReadChecker.Visibility.quorumWritesInSameDc(
                            s.cluster().topology())).check(ops));
            s.note("split view: " + String.join("; ", splitView.notes()));
            s.assertValid(splitView);

            LoadDriver after = s.startLoad("heal", s.workload(Duration.ofSeconds(6)));
            split.heal();
            after.awaitCompletion(GRACE);
            s.checkFinalValues(SETTLE);
        });
    }
}
