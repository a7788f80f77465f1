package dev.tally.chaos.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.chaos.history.FinalValueChecker.FinalRead;
import java.util.List;
import org.junit.jupiter.api.Test;

class ViolationReportTest {

    @Test
    void assertValid_violation_throwsWithSeedScheduleAndOperations() {
        History history = new History(new FakeClock());
        history.invokeAdd(0, "n1", "k", 1, "r1", ReadConsistency.LOCAL).ok(1);
        CheckResult result = new FinalValueChecker().check(Operations.of(history.events()),
                List.of(new FinalRead("n1", "k", 0)), List.of("n1"));
        List<String> schedule = List.of("+1.0s partition dc1 | dc2 (healed +4.0s)");

        assertThatThrownBy(() -> ViolationReport.assertValid(42, schedule, result))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("SEED=42 (replay with -Dtally.chaos.seed=42)")
                .hasMessageContaining("  +1.0s partition dc1 | dc2 (healed +4.0s)")
                .hasMessageContaining("violation 1 [final-value] lost: n1 reads 0")
                .hasMessageContaining("    ok add \"k\" +1 rid=r1 [1 attempt: 1 p0 ok add n1");
    }

    @Test
    void assertValid_validResult_doesNotThrow() {
        ViolationReport.assertValid(1, List.of(), new CheckResult(List.of(), List.of("nothing to check")));
    }
}
