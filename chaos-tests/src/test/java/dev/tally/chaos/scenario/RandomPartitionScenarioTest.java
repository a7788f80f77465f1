package dev.tally.chaos.scenario;

import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.docker.RequiresDocker;
import dev.tally.chaos.faults.FaultKind;
import dev.tally.chaos.faults.FaultRunner;
import dev.tally.chaos.faults.FaultSchedule;
import dev.tally.chaos.faults.Faults;
import dev.tally.chaos.faults.Partition;
import dev.tally.chaos.load.LoadDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Scenario 2: random partitions of every shape the fault API has (DCs apart, a minority cut
 * off, one node isolated or unplugged, one-way loss, a bridge), each refusing packets loudly
 * (REJECT) or silently (DROP), under load at every node for {@code -Dtally.chaos.duration}
 * (default 60 s; several minutes for a longer soak). Writes retry with their request id on their
 * node until acknowledged, so after the heal every node must show exactly the sum of all of them.
 */
@RequiresDocker
class RandomPartitionScenarioTest {

    static final Set<FaultKind> PARTITIONS = EnumSet.of(FaultKind.DC_PARTITION, FaultKind.MAJORITY_MINORITY,
            FaultKind.ISOLATE_NODE, FaultKind.DISCONNECT_NODE, FaultKind.ONE_WAY, FaultKind.BRIDGE);
    private static final Duration MIN_HOLD = Duration.ofSeconds(3);
    private static final Duration MAX_HOLD = Duration.ofSeconds(8);
    private static final Duration QUIET = Duration.ofSeconds(2);

    @Test
    void randomPartitions_underLoad_exactTotalsAfterHeal() throws Exception {
        Duration duration = Scenario.configuredDuration(Duration.ofSeconds(60));
        ClusterSpec spec = ChaosNodes.spec()
                .node("n1", "dc1").node("n2", "dc1").node("n3", "dc1")
                .node("n4", "dc2").node("n5", "dc2")
                .build();
        Scenario.run("random-partitions", spec, 6, s -> {
            Faults faults = new Faults(s.cluster().topology());
            int steps = (int) Math.max(1, duration.toMillis() / (MIN_HOLD.plus(MAX_HOLD).toMillis() / 2 + QUIET.toMillis()));
            FaultSchedule drawn = FaultSchedule.random(s.random("faults").nextLong(), faults, PARTITIONS, steps, MIN_HOLD,
                    MAX_HOLD, QUIET);
            FaultSchedule schedule = someSilent(drawn, s.random("partition-modes"));

            // The load outlasts the schedule (injections take time of their own) and stops once all is healed.
            LoadDriver load = s.startLoad("load", s.workload(schedule.end().plusMinutes(10)));
            try (FaultRunner runner = s.play(schedule)) {
                runner.awaitCompletion(schedule.end().plusMinutes(2));
            }
            s.stopLoad(load, Duration.ofSeconds(60));
            s.checkFinalValues(Duration.ofSeconds(60));
        });
    }

    /** Half the partitions drop packets silently instead of refusing them, chosen by {@code random}. */
    static FaultSchedule someSilent(FaultSchedule schedule, Random random) {
        List<FaultSchedule.Step> steps = new ArrayList<>();
        for (FaultSchedule.Step step : schedule.steps()) {
            if (step.fault() instanceof Partition p && random.nextBoolean()) {
                steps.add(new FaultSchedule.Step(step.at(), step.hold(), p.withMode(Partition.Mode.DROP)));
            } else {
                steps.add(step);
            }
        }
        return new FaultSchedule(schedule.seed(), steps);
    }
}
