package dev.tally.chaos.scenario;

import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.cluster.ClusterTls;
import dev.tally.chaos.docker.RequiresDocker;
import dev.tally.chaos.faults.Composite;
import dev.tally.chaos.faults.Fault;
import dev.tally.chaos.faults.FaultRunner;
import dev.tally.chaos.faults.FaultSchedule;
import dev.tally.chaos.faults.NodeFaults;
import dev.tally.chaos.load.LoadDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Scenario 3: SIGKILL of random nodes (now and then two at once) under load at every node, each
 * restarted on its data after a few seconds. No acknowledged write may be lost (Maelstrom's
 * rule), and since writes retry with their request id on their node until acknowledged (the
 * restarted node's persisted dedupe recognises them), every node must end with the exact sum.
 * Runs for {@code -Dtally.chaos.duration} (default 45 s).
 *
 * <p>With TLS on every port and tokens on the client API ({@link ClusterTls}): every kill makes the
 * restarted node's peers and clients handshake again, and the peers bind its name to its
 * certificate again, so this is where the secured transport meets crashes.
 */
@RequiresDocker
class KillScenarioTest {

    @Test
    void sigkillRandomNodes_underLoad_noAcknowledgedWriteLost_exactWithRetries() throws Exception {
        Duration duration = Scenario.configuredDuration(Duration.ofSeconds(45));
        ClusterSpec spec = ClusterTls.secure(ChaosNodes.spec()
                .node("n1", "dc1").node("n2", "dc1").node("n3", "dc1")
                .node("n4", "dc2").node("n5", "dc2"))
                .build();
        Scenario.run("kill", spec, 6, s -> {
            FaultSchedule schedule = kills(s.random("faults"), s.nodes(), duration);
            // The load outlasts the schedule (injections take time of their own) and stops once all is healed.
            LoadDriver load = s.startLoad("load", s.workload(schedule.end().plusMinutes(10)));
            try (FaultRunner runner = s.play(schedule)) {
                runner.awaitCompletion(schedule.end().plusMinutes(3));
            }
            s.stopLoad(load, Duration.ofSeconds(60));
            s.checkFinalValues(Duration.ofSeconds(60));
        });
    }

    /** Kills of one random node (one step in four: two nodes at once), held 2-5 s, 3 s apart, filling {@code duration}. */
    static FaultSchedule kills(Random random, List<String> nodes, Duration duration) {
        List<FaultSchedule.Step> steps = new ArrayList<>();
        Duration at = Duration.ofSeconds(3);
        while (true) {
            Duration hold = Duration.ofMillis(2000 + random.nextInt(3001));
            if (at.plus(hold).compareTo(duration) > 0 && !steps.isEmpty()) {
                break;
            }
            List<String> shuffled = new ArrayList<>(nodes);
            Collections.shuffle(shuffled, random);
            Fault fault = random.nextInt(4) == 0
                    ? new Composite("kill -9 " + shuffled.get(0) + " and " + shuffled.get(1),
                            List.of(new NodeFaults.Kill(shuffled.get(0)), new NodeFaults.Kill(shuffled.get(1))))
                    : new NodeFaults.Kill(shuffled.get(0));
            steps.add(new FaultSchedule.Step(at, hold, fault));
            at = at.plus(hold).plusSeconds(3);
        }
        return new FaultSchedule(random.nextLong(), steps);
    }
}
