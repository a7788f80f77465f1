package dev.tally.chaos.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {

    private static final Map<String, String> FIVE_NODES_TWO_DCS = new LinkedHashMap<>();

    static {
        FIVE_NODES_TWO_DCS.put("n1", "east");
        FIVE_NODES_TWO_DCS.put("n2", "east");
        FIVE_NODES_TWO_DCS.put("n3", "east");
        FIVE_NODES_TWO_DCS.put("n4", "west");
        FIVE_NODES_TWO_DCS.put("n5", "west");
    }

    private final Faults faults = new Faults(FIVE_NODES_TWO_DCS);

    private FaultSchedule schedule(long seed, Set<FaultKind> menu) {
        return FaultSchedule.random(seed, faults, menu, 20, Duration.ofSeconds(1), Duration.ofSeconds(5),
                Duration.ofSeconds(2));
    }

    @Test
    void random_sameSeed_sameSchedule() {
        assertThat(schedule(42, EnumSet.allOf(FaultKind.class)).describe())
                .isEqualTo(schedule(42, EnumSet.allOf(FaultKind.class)).describe());
        assertThat(schedule(42, EnumSet.allOf(FaultKind.class)).describe())
                .isNotEqualTo(schedule(43, EnumSet.allOf(FaultKind.class)).describe());
    }

    @Test
    void random_stepsAreSequentialAndHeldWithinBounds() {
        FaultSchedule s = schedule(7, EnumSet.allOf(FaultKind.class));

        assertThat(s.steps()).hasSize(20);
        Duration end = Duration.ZERO;
        for (FaultSchedule.Step step : s.steps()) {
            assertThat(step.at()).isEqualTo(end.plusSeconds(2));
            assertThat(step.hold()).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(5));
            end = step.at().plus(step.hold());
        }
        assertThat(s.end()).isEqualTo(end);
        assertThat(s.describe().get(0)).isEqualTo("fault schedule from seed 7, 20 steps:");
    }

    @Test
    void random_drawsOnlyFromTheMenu() {
        FaultSchedule s = schedule(1, EnumSet.of(FaultKind.KILL, FaultKind.PAUSE));

        assertThat(s.steps()).extracting(FaultSchedule.Step::fault)
                .allSatisfy(f -> assertThat(f).isInstanceOfAny(NodeFaults.Kill.class, NodeFaults.Pause.class));
    }

    @Test
    void random_leavesOutKindsTheTopologyCannotHave() {
        Faults oneDc = new Faults(Map.of("n1", "east", "n2", "east"));

        FaultSchedule s = FaultSchedule.random(3, oneDc, EnumSet.of(FaultKind.DC_PARTITION, FaultKind.BRIDGE,
                FaultKind.KILL), 10, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO.plusMillis(1));

        assertThat(s.steps()).extracting(FaultSchedule.Step::fault).allSatisfy(f -> assertThat(f)
                .isInstanceOf(NodeFaults.Kill.class));
        assertThatThrownBy(() -> FaultSchedule.random(3, oneDc, EnumSet.of(FaultKind.DC_PARTITION), 1,
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no fault in [DC_PARTITION] applies to nodes [n1, n2] in DCs [east]");
    }

    @Test
    void constructor_overlappingSteps_rejected() {
        Fault kill = new NodeFaults.Kill("n1");
        assertThatThrownBy(() -> new FaultSchedule(0, List.of(
                new FaultSchedule.Step(Duration.ZERO, Duration.ofSeconds(5), kill),
                new FaultSchedule.Step(Duration.ofSeconds(3), Duration.ofSeconds(1), kill))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("steps overlap: +3.0s kill -9 n1");
    }

    @Test
    void dcPartition_cutsEveryDcFromTheOthersBothWays() {
        Partition p = faults.dcPartition();

        assertThat(p.describe()).isEqualTo("partition east [n1, n2, n3] | west [n4, n5]");
        assertThat(p.rejectsFrom()).containsEntry("n1", Set.of("n4", "n5")).containsEntry("n5", Set.of("n1", "n2", "n3"));
    }

    @Test
    void majorityMinority_minorityIsSmallerThanHalf() {
        for (long seed = 0; seed < 50; seed++) {
            Partition p = faults.majorityMinority(new Random(seed));
            long isolatedFromThree = p.rejectsFrom().values().stream().filter(s -> s.size() == 3).count();
            assertThat(isolatedFromThree).as(p.describe()).isEqualTo(2);  // the two minority nodes
            assertThat(p.rejectsFrom()).hasSize(5);
        }
    }

    @Test
    void oneWay_onlyTheReceiversHoldGrudges() {
        Partition p = Partition.oneWay(Set.of("n1"), Set.of("n4", "n5"));

        assertThat(p.rejectsFrom()).containsOnlyKeys("n4", "n5").containsEntry("n4", Set.of("n1"));
        assertThat(p.describe()).isEqualTo("one-way: [n1] -/-> [n4, n5]");
    }

    @Test
    void bridge_bridgeNodeHoldsNoGrudge() {
        Partition p = Partition.bridge(Set.of("n1", "n2"), "n3", Set.of("n4", "n5"));

        assertThat(p.rejectsFrom()).doesNotContainKey("n3").containsEntry("n1", Set.of("n4", "n5"))
                .containsEntry("n4", Set.of("n1", "n2"));
    }

    @Test
    void partition_invalidShapes_rejected() {
        assertThatThrownBy(() -> Partition.between("x", List.of(Set.of("n1"))))
                .hasMessageStartingWith("a partition needs at least two groups");
        assertThatThrownBy(() -> Partition.between("x", List.of(Set.of("n1"), Set.of("n1", "n2"))))
                .hasMessageStartingWith("n1 is in two groups");
        assertThatThrownBy(() -> new Partition("x", Map.of("n1", Set.of("n1")), Partition.Mode.REJECT))
                .hasMessage("n1 cannot hold a grudge against itself");
        assertThatThrownBy(() -> new Partition("x", Map.of("n1", Set.of()), Partition.Mode.REJECT))
                .hasMessage("a partition must block something");
    }

    @Test
    void interDcLatency_shapesEveryNodeTowardsTheOtherDc() {
        Composite c = faults.interDcLatency("east", "west", Duration.ofMillis(80), Duration.ofMillis(8), 2);

        assertThat(c.parts()).hasSize(5).allSatisfy(f -> assertThat(f).isInstanceOf(LinkShaping.class));
        LinkShaping n1 = (LinkShaping) c.parts().get(0);
        assertThat(n1.node()).isEqualTo("n1");
        assertThat(n1.towards()).containsExactlyInAnyOrder("n4", "n5");
        assertThat(n1.ports()).containsExactly(7400, 7401, 7402, 7403);
        assertThat(c.describe()).isEqualTo("latency east <-> west: +80ms +-8ms each way, 2.0% loss");
    }

    @Test
    void linkShaping_invalidSettings_rejectedNamingTheValue() {
        Duration d = Duration.ofMillis(10);
        assertThatThrownBy(() -> new LinkShaping("n1", Set.of("n1"), d, Duration.ZERO, 0, List.of(1)))
                .hasMessage("towards must name other nodes than n1, was [n1]");
        assertThatThrownBy(() -> new LinkShaping("n1", Set.of("n2"), d, Duration.ofMillis(20), 0, List.of(1)))
                .hasMessage("need 0 <= jitter <= delay, got delay PT0.01S, jitter PT0.02S");
        assertThatThrownBy(() -> new LinkShaping("n1", Set.of("n2"), d, Duration.ZERO, 101, List.of(1)))
                .hasMessage("lossPercent must be in [0, 100], was 101.0");
    }

    @Test
    void iptablesScripts_addAppendsAndRemoveDeletesOnlyWhatIsThere() {
        List<String> rules = List.of("INPUT -s 10.0.0.2 -j DROP", "-t nat OUTPUT -d 10.0.0.3 -j REDIRECT --to-ports 20000");

        assertThat(IptablesScripts.add(rules)).isEqualTo("set -e\n"
                + "iptables -w -A INPUT -s 10.0.0.2 -j DROP\n"
                + "iptables -w -t nat -A OUTPUT -d 10.0.0.3 -j REDIRECT --to-ports 20000\n");
        assertThat(IptablesScripts.remove(rules)).isEqualTo("set -e\n"
                + "if iptables -w -C INPUT -s 10.0.0.2 -j DROP 2>/dev/null; then iptables -w -D INPUT -s 10.0.0.2 -j DROP; fi\n"
                + "if iptables -w -t nat -C OUTPUT -d 10.0.0.3 -j REDIRECT --to-ports 20000 2>/dev/null;"
                + " then iptables -w -t nat -D OUTPUT -d 10.0.0.3 -j REDIRECT --to-ports 20000; fi\n");
    }
}
