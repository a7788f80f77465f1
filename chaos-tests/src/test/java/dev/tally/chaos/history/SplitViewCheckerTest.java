package dev.tally.chaos.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.history.FinalValueChecker.FinalRead;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SplitViewCheckerTest {

    private static final Map<String, String> DCS = Map.of("n1", "dc1", "n2", "dc1", "n4", "dc2");

    private final History history = new History(new FakeClock());
    private long splitIndex;

    /** Before the split: +3 on n1, +2 on n4. During it: +5 on n1, -1 on n2 (dc1), +7 on n4 (dc2). */
    private void splitHistory() {
        history.invokeAdd(0, "n1", "k", 3, "a", ReadConsistency.LOCAL).ok(3);
        history.invokeAdd(1, "n4", "k", 2, "b", ReadConsistency.LOCAL).ok(2);
        splitIndex = history.events().size();
        history.invokeAdd(0, "n1", "k", 5, "c", ReadConsistency.LOCAL).ok(10);
        history.invokeAdd(2, "n2", "k", -1, "d", ReadConsistency.QUORUM).ok(9);
        history.invokeAdd(1, "n4", "k", 7, "e", ReadConsistency.LOCAL).ok(12);
    }

    private CheckResult check(FinalRead... reads) {
        return new SplitViewChecker(DCS).check(Operations.of(history.events()), splitIndex, List.of(reads));
    }

    @Test
    void check_eachSideShowsWhatCameBeforePlusItsOwnAdds_passes() {
        splitHistory();

        CheckResult result = check(new FinalRead("n1", "k", 9), new FinalRead("n2", "k", 9), new FinalRead("n4", "k", 12));

        assertThat(result.valid()).as(result.toString()).isTrue();
        assertThat(result.notes()).anySatisfy(n -> assertThat(n)
                .isEqualTo("\"k\" on n1 (dc1): 9 expected in [9, 9], other side's adds kept out: 7"));
    }

    @Test
    void check_theOtherSidesAddsVisible_failsSayingTheyCrossedThePartition() {
        splitHistory();

        CheckResult result = check(new FinalRead("n1", "k", 16));

        assertThat(result.violations()).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo("split-view");
            assertThat(v.node()).isEqualTo("n1");
            assertThat(v.message()).startsWith("n1 (side dc1) reads 16 for \"k\" during the split")
                    .contains("[9, 9]").contains("the other side's adds (7 in all) crossed the partition");
            assertThat(v.involved()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("own side: ok add \"k\""));
        });
    }

    @Test
    void check_ownAcknowledgedAddMissing_failsSayingSo() {
        splitHistory();

        CheckResult result = check(new FinalRead("n4", "k", 5));

        assertThat(result.violations()).singleElement().extracting(Violation::message).asString()
                .contains("[12, 12]").contains("adds acknowledged on its side (or before the split) are missing");
    }

    @Test
    void check_indeterminateOwnAdds_allowExactlyTheSumsOfTheirSubsets() {
        splitHistory();
        history.invokeAdd(0, "n1", "k", 4, "f", ReadConsistency.QUORUM).info("DEADLINE_EXCEEDED");
        history.invokeAdd(1, "n4", "k", 100, "g", ReadConsistency.LOCAL).fail("UNAVAILABLE: nothing sent");

        assertThat(check(new FinalRead("n1", "k", 9), new FinalRead("n2", "k", 13)).valid()).isTrue();
        assertThat(check(new FinalRead("n1", "k", 11)).violations()).singleElement().extracting(Violation::message)
                .asString().contains("[9, 13]").contains("no subset of the indeterminate adds sums to the difference");
        assertThat(check(new FinalRead("n4", "k", 12)).valid()).as("a failed add counts for nothing").isTrue();
    }
}
