package dev.tally.chaos.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.chaos.cluster.TallyCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The runner's timeline and its healing guarantees, with recording faults and no cluster. */
class FaultRunnerTest {

    private final List<String> events = new CopyOnWriteArrayList<>();

    /** A fault that records its injection and healing; optionally fails doing one. */
    private record Recording(String name, List<String> events, boolean failInject, boolean failHeal) implements Fault {
        @Override
        public String describe() {
            return name;
        }

        @Override
        public Healer inject(TallyCluster cluster) {
            if (failInject) {
                throw new IllegalStateException("cannot inject " + name);
            }
            events.add("inject " + name);
            return () -> {
                if (failHeal) {
                    throw new IllegalStateException("cannot heal " + name);
                }
                events.add("heal " + name);
            };
        }
    }

    private Fault fault(String name) {
        return new Recording(name, events, false, false);
    }

    private static FaultSchedule.Step step(long atMs, long holdMs, Fault f) {
        return new FaultSchedule.Step(Duration.ofMillis(atMs), Duration.ofMillis(holdMs), f);
    }

    private static FaultRunner runner(FaultSchedule schedule) {
        return new FaultRunner(f -> f.inject(null), schedule);
    }

    @Test
    void awaitCompletion_injectsAndHealsEveryStepInOrder() throws InterruptedException {
        FaultSchedule schedule = new FaultSchedule(1, List.of(step(0, 20, fault("a")), step(30, 20, fault("b"))));

        try (FaultRunner r = runner(schedule)) {
            r.start();
            r.awaitCompletion(Duration.ofSeconds(10));
            assertThat(r.log()).hasSize(4);
            assertThat(r.log().get(0)).contains("injected a");
            assertThat(r.log().get(3)).contains("healed b");
        }
        assertThat(events).containsExactly("inject a", "heal a", "inject b", "heal b");
    }

    @Test
    void log_onAGivenClock_timesEveryLineByIt_andHandsItToTheSink() throws InterruptedException {
        FaultSchedule schedule = new FaultSchedule(1, List.of(step(0, 10, fault("a"))));
        List<String> sink = new CopyOnWriteArrayList<>();

        try (FaultRunner r = new FaultRunner(null, schedule, () -> 42_000_000_000L, sink::add)) {
            r.start();
            r.awaitCompletion(Duration.ofSeconds(10));
            assertThat(r.isDone()).isTrue();
            assertThat(r.log()).containsExactlyElementsOf(sink);
        }
        assertThat(sink).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("+42.000s "));
        assertThat(sink.get(1)).contains("healed a");
    }

    @Test
    void close_duringAHold_healsTheActiveFaultAtOnce() throws InterruptedException {
        FaultSchedule schedule = new FaultSchedule(1, List.of(step(0, 600_000, fault("long")), step(600_001, 1, fault("never"))));
        FaultRunner r = runner(schedule);
        r.start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("inject long"));

        r.close();

        assertThat(events).containsExactly("inject long", "heal long");
    }

    @Test
    void awaitCompletion_injectionFails_reportsItWithTheLogAndStops() {
        FaultSchedule schedule = new FaultSchedule(1, List.of(step(0, 10, new Recording("bad", events, true, false)),
                step(20, 10, fault("after"))));
        FaultRunner r = runner(schedule);
        r.start();

        assertThatThrownBy(() -> r.awaitCompletion(Duration.ofSeconds(10)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("FAILED to inject bad: java.lang.IllegalStateException: cannot inject bad")
                .hasRootCauseMessage("cannot inject bad");
        assertThat(events).isEmpty();
    }

    @Test
    void awaitCompletion_healFails_reportsIt() {
        FaultSchedule schedule = new FaultSchedule(1, List.of(step(0, 10, new Recording("sticky", events, false, true))));
        FaultRunner r = runner(schedule);
        r.start();

        assertThatThrownBy(() -> r.awaitCompletion(Duration.ofSeconds(10)))
                .hasMessageContaining("FAILED to heal sticky");
    }
}
