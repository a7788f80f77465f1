package dev.tally.chaos.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.history.FinalValueChecker.FinalRead;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class FinalValueCheckerTest {

    private static final List<String> NODES = List.of("n1", "n2", "n3");

    private final History history = new History(new FakeClock());

    private static List<FinalRead> everyNodeReads(String key, long value) {
        List<FinalRead> reads = new ArrayList<>();
        for (String n : NODES) {
            reads.add(new FinalRead(n, key, value));
        }
        return reads;
    }

    private CheckResult check(List<FinalRead> reads) {
        return new FinalValueChecker().check(Operations.of(history.events()), reads, NODES);
    }

    @Test
    void check_everyAckedAddCountedOnce_passes() {
        history.invokeAdd(0, "n1", "k", 3, "", ReadConsistency.LOCAL).ok(3);
        history.invokeAdd(1, "n2", "k", 4, "", ReadConsistency.LOCAL).ok(4);
        history.invokeAdd(2, "n3", "k", -2, "", ReadConsistency.LOCAL).ok(-2);

        CheckResult result = check(everyNodeReads("k", 5));

        assertThat(result.valid()).as(result.toString()).isTrue();
        assertThat(result.notes()).anySatisfy(n -> assertThat(n).contains("3 acknowledged adds summing to 5"));
    }

    @Test
    void check_lostAcknowledgedIncrement_failsNamingTheShortfall() {
        history.invokeAdd(0, "n1", "k", 3, "", ReadConsistency.LOCAL).ok(3);
        history.invokeAdd(1, "n2", "k", 4, "", ReadConsistency.LOCAL).ok(4);

        CheckResult result = check(List.of(new FinalRead("n1", "k", 7), new FinalRead("n2", "k", 3),
                new FinalRead("n3", "k", 7)));

        assertThat(result.valid()).isFalse();
        Violation lost = result.violations().get(0);
        assertThat(lost.rule()).isEqualTo("final-value");
        assertThat(lost.node()).isEqualTo("n2");
        assertThat(lost.message()).startsWith("lost: n2 reads 3 for \"k\"")
                .contains("acknowledged adds sum to 7").contains("[7, 7]").contains("4 below the minimum");
        assertThat(lost.involved()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("ok add \"k\""));
        assertThat(result.violations()).extracting(Violation::rule).contains("convergence");
    }

    @Test
    void check_doubledIncrement_failsNamingTheExcess() {
        history.invokeAdd(0, "n1", "k", 5, "r1", ReadConsistency.LOCAL).ok(5);

        CheckResult result = check(everyNodeReads("k", 10));

        assertThat(result.violations()).hasSize(3).allSatisfy(v -> assertThat(v.message())
                .startsWith("doubled: ").contains("5 above the maximum"));
    }

    @Test
    void check_anySubsetOfIndeterminateAdds_passes() {
        history.invokeAdd(0, "n1", "k", 10, "", ReadConsistency.LOCAL).ok(10);
        history.invokeAdd(1, "n2", "k", 2, "", ReadConsistency.LOCAL).info("deadline exceeded");
        history.invokeAdd(2, "n3", "k", 5, "", ReadConsistency.LOCAL).info("connection reset");

        for (long value : new long[] {10, 12, 15, 17}) {
            CheckResult result = check(everyNodeReads("k", value));
            assertThat(result.valid()).as("final value %d: %s", value, result).isTrue();
        }
    }

    @Test
    void check_valueWithinBoundsButNoSubsetSum_failsAsImpossible() {
        history.invokeAdd(0, "n1", "k", 10, "", ReadConsistency.LOCAL).ok(10);
        history.invokeAdd(1, "n2", "k", 5, "", ReadConsistency.LOCAL).info("timeout");
        history.invokeAdd(2, "n3", "k", 5, "", ReadConsistency.LOCAL).info("timeout");

        CheckResult result = check(everyNodeReads("k", 13));

        assertThat(result.violations()).hasSize(3).first().satisfies(v -> assertThat(v.message())
                .startsWith("impossible: ").contains("no subset summing to 3").contains("[5, 5]"));
    }

    @Test
    void check_indeterminateDecrements_widenTheRangeDownwards() {
        history.invokeAdd(0, "n1", "k", 10, "", ReadConsistency.LOCAL).ok(10);
        history.invokeAdd(1, "n2", "k", -3, "", ReadConsistency.LOCAL).info("timeout");
        history.invokeAdd(2, "n3", "k", 2, "", ReadConsistency.LOCAL).info("timeout");

        assertThat(check(everyNodeReads("k", 7)).valid()).isTrue();
        assertThat(check(everyNodeReads("k", 9)).valid()).isTrue();
        CheckResult tooLow = check(everyNodeReads("k", 6));
        assertThat(tooLow.violations()).first().satisfies(v -> assertThat(v.message()).startsWith("lost: ")
                .contains("[7, 12]"));
    }

    @Test
    void check_definitelyFailedAdds_countForNothing() {
        history.invokeAdd(0, "n1", "k", 1, "", ReadConsistency.LOCAL).ok(1);
        history.invokeAdd(1, "n2", "k", 100, "", ReadConsistency.LOCAL).fail("INVALID_ARGUMENT");

        assertThat(check(everyNodeReads("k", 1)).valid()).isTrue();
        assertThat(check(everyNodeReads("k", 101)).violations()).first()
                .satisfies(v -> assertThat(v.message()).startsWith("doubled: "));
    }

    @Test
    void check_retriedUntilAckWithOneRequestId_demandsTheExactSum() {
        // Two timeouts then an ack, all with request id r7: applied exactly once.
        history.invokeAdd(0, "n1", "k", 4, "r7", ReadConsistency.QUORUM).info("deadline exceeded");
        history.invokeAdd(0, "n1", "k", 4, "r7", ReadConsistency.QUORUM).info("unavailable");
        history.invokeAdd(0, "n1", "k", 4, "r7", ReadConsistency.QUORUM).ok(4);
        history.invokeAdd(1, "n2", "k", 1, "r8", ReadConsistency.QUORUM).ok(5);

        assertThat(check(everyNodeReads("k", 5)).valid()).isTrue();
        CheckResult appliedTwice = check(everyNodeReads("k", 9));
        assertThat(appliedTwice.violations()).first().satisfies(v -> assertThat(v.message())
                .startsWith("doubled: ").contains("the 0 indeterminate ones allow [5, 5]"));
        assertThat(appliedTwice.violations().get(0).involved())
                .anySatisfy(l -> assertThat(l).contains("rid=r7 [3 attempts"));
    }

    @Test
    void check_attemptThatNeverCompleted_isIndeterminate() {
        history.invokeAdd(0, "n1", "k", 1, "", ReadConsistency.LOCAL).ok(1);
        history.invokeAdd(1, "n2", "k", 2, "", ReadConsistency.LOCAL); // client died mid-call

        assertThat(check(everyNodeReads("k", 1)).valid()).isTrue();
        assertThat(check(everyNodeReads("k", 3)).valid()).isTrue();
        assertThat(check(everyNodeReads("k", 2)).valid()).isFalse();
    }

    @Test
    void check_replicasDisagreeWithinTheAllowedRange_failsConvergence() {
        history.invokeAdd(0, "n1", "k", 1, "", ReadConsistency.LOCAL).ok(1);
        history.invokeAdd(1, "n2", "k", 1, "", ReadConsistency.LOCAL).info("timeout");

        CheckResult result = check(List.of(new FinalRead("n1", "k", 1), new FinalRead("n2", "k", 2),
                new FinalRead("n3", "k", 2)));

        assertThat(result.violations()).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo("convergence");
            assertThat(v.message()).contains("{n1=1, n2=2, n3=2}");
        });
    }

    @Test
    void check_nodeWithoutFinalRead_fails() {
        history.invokeAdd(0, "n1", "k", 1, "", ReadConsistency.LOCAL).ok(1);

        CheckResult result = check(List.of(new FinalRead("n1", "k", 1), new FinalRead("n2", "k", 1)));

        assertThat(result.violations()).singleElement().satisfies(v -> assertThat(v.message())
                .isEqualTo("no final read of \"k\" on n3: every node must be read after heal"));
    }

    @Test
    void check_keyOnlyReadNeverWritten_mustBeZero() {
        history.invokeRead(0, "n1", "untouched", ReadConsistency.LOCAL).ok(0);

        assertThat(check(everyNodeReads("untouched", 0)).valid()).isTrue();
        assertThat(check(everyNodeReads("untouched", 1)).valid()).isFalse();
    }

    @Test
    void check_tooManyDistinctSubsetSums_fallsBackToBounds() {
        long amount = 1;
        for (int i = 0; i < 12; i++) {
            history.invokeAdd(i, "n1", "k", amount, "", ReadConsistency.LOCAL).info("timeout");
            amount *= 2; // 2^12 distinct sums
        }
        Operations ops = Operations.of(history.events());

        CheckResult capped = new FinalValueChecker(100).check(ops, everyNodeReads("k", 4095), NODES);
        CheckResult beyond = new FinalValueChecker(100).check(ops, everyNodeReads("k", 4096), NODES);

        assertThat(capped.valid()).isTrue();
        assertThat(capped.notes()).anySatisfy(n -> assertThat(n).contains("bounds only"));
        assertThat(beyond.violations()).first().satisfies(v -> assertThat(v.message()).startsWith("doubled: "));
    }

    @Test
    void check_twoFinalReadsOfOneNodeDisagree_failsAsUnsettled() {
        history.invokeAdd(0, "n1", "k", 1, "", ReadConsistency.LOCAL).ok(1);
        List<FinalRead> reads = new ArrayList<>(everyNodeReads("k", 1));
        reads.add(new FinalRead("n2", "k", 0));

        assertThat(check(reads).violations()).extracting(Violation::message)
                .anySatisfy(m -> assertThat(m).contains("the cluster had not settled"));
    }

    /**
     * Any history a correct counter produces passes: each add is acked (applied), failed (not
     * applied) or indeterminate (applied or not, at random).
     */
    @Property(tries = 200)
    void check_historiesOfACorrectCounter_alwaysPass(
            @ForAll @Size(max = 60) List<@IntRange(min = -5, max = 5) Integer> deltas,
            @ForAll @Size(max = 60) List<@IntRange(min = 0, max = 3) Integer> fates) {
        History h = new History(new FakeClock());
        long truth = 0;
        for (int i = 0; i < deltas.size(); i++) {
            long delta = deltas.get(i) == 0 ? 1 : deltas.get(i);
            int fate = i < fates.size() ? fates.get(i) : 0;
            History.Attempt a = h.invokeAdd(i % 4, NODES.get(i % 3), "k", delta, "", ReadConsistency.LOCAL);
            switch (fate) {
                case 0 -> { truth += delta; a.ok(truth); }
                case 1 -> a.fail("rejected");
                case 2 -> { truth += delta; a.info("applied, reply lost"); }
                default -> a.info("not applied, reply lost");
            }
        }
        List<FinalRead> reads = new ArrayList<>();
        for (String n : NODES) {
            reads.add(new FinalRead(n, "k", truth));
        }
        CheckResult result = new FinalValueChecker().check(Operations.of(h.events()), reads, NODES);
        assertThat(result.valid()).as(result.toString()).isTrue();
    }
}
