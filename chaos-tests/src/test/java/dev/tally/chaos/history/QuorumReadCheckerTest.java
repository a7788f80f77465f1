package dev.tally.chaos.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.history.QuorumReadChecker.Visibility;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuorumReadCheckerTest {

    private final History history = new History(new FakeClock());

    private CheckResult checkStrict() {
        return new QuorumReadChecker(Visibility.allAcknowledged()).check(Operations.of(history.events()));
    }

    @Test
    void check_quorumReadSeesEveryEarlierAck_passes() {
        history.invokeAdd(0, "n1", "k", 3, "", ReadConsistency.QUORUM).ok(3);
        history.invokeAdd(1, "n2", "k", -1, "", ReadConsistency.QUORUM).ok(2);
        history.invokeRead(2, "n3", "k", ReadConsistency.QUORUM).ok(2);

        CheckResult result = checkStrict();

        assertThat(result.valid()).as(result.toString()).isTrue();
        assertThat(result.notes()).containsExactly("checked 1 QUORUM reads against real-time bounds and 0 other reads"
                + " against what was invoked");
    }

    @Test
    void check_quorumReadMissingAnEarlierAck_failsWithTheBound() {
        history.invokeAdd(0, "n1", "k", 3, "", ReadConsistency.QUORUM).ok(3);
        history.invokeAdd(1, "n2", "k", 4, "", ReadConsistency.QUORUM).ok(7);
        history.invokeRead(2, "n3", "k", ReadConsistency.QUORUM).ok(3);

        CheckResult result = checkStrict();

        assertThat(result.violations()).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo("quorum-read");
            assertThat(v.node()).isEqualTo("n3");
            assertThat(v.message()).isEqualTo("QUORUM read on n3 returned 3 for \"k\", outside [7, 7]: 2 adds"
                    + " acknowledged before the read began sum to 7, 0 concurrent or indeterminate adds could move"
                    + " it by 0/+0; acknowledged writes are missing from the read");
            assertThat(v.involved()).first().satisfies(l -> assertThat(l).startsWith("read: "));
            assertThat(v.involved()).filteredOn(l -> l.startsWith("acknowledged before the read")).hasSize(2);
        });
    }

    @Test
    void check_addConcurrentWithTheRead_mayOrMayNotBeSeen() {
        history.invokeAdd(0, "n1", "k", 3, "", ReadConsistency.QUORUM).ok(3);
        History.Attempt concurrent = history.invokeAdd(1, "n2", "k", 5, "", ReadConsistency.QUORUM);
        history.invokeRead(2, "n3", "k", ReadConsistency.QUORUM).ok(3);
        history.invokeRead(3, "n1", "k", ReadConsistency.QUORUM).ok(8);
        concurrent.ok(8);

        assertThat(checkStrict().valid()).isTrue();
    }

    @Test
    void check_quorumReadShowsMoreThanWasWritten_fails() {
        history.invokeAdd(0, "n1", "k", 3, "", ReadConsistency.QUORUM).ok(3);
        History.Attempt concurrent = history.invokeAdd(1, "n2", "k", 5, "", ReadConsistency.QUORUM);
        history.invokeRead(2, "n3", "k", ReadConsistency.QUORUM).ok(11);
        concurrent.ok(8);

        assertThat(checkStrict().violations()).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo("read-bounds");
            assertThat(v.message()).contains("read 11").contains("allow only [0, 8]").contains("never sent");
        });
    }

    @Test
    void check_acknowledgedDecrementNotReflected_fails() {
        history.invokeAdd(0, "n1", "k", 10, "", ReadConsistency.QUORUM).ok(10);
        history.invokeAdd(0, "n1", "k", -4, "", ReadConsistency.QUORUM).ok(6);
        history.invokeRead(1, "n2", "k", ReadConsistency.QUORUM).ok(10);

        assertThat(checkStrict().violations()).singleElement().satisfies(v -> assertThat(v.message())
                .contains("outside [6, 6]").endsWith("the read shows more than was written"));
    }

    @Test
    void check_readInvokedBeforeTheAckCompleted_needNotSeeIt() {
        History.Attempt add = history.invokeAdd(0, "n1", "k", 3, "", ReadConsistency.QUORUM);
        History.Attempt read = history.invokeRead(1, "n2", "k", ReadConsistency.QUORUM);
        add.ok(3);
        read.ok(0);

        assertThat(checkStrict().valid()).isTrue();
    }

    @Test
    void check_failedAddVisibleInARead_fails() {
        history.invokeAdd(0, "n1", "k", 5, "", ReadConsistency.LOCAL).fail("INVALID_ARGUMENT");
        history.invokeRead(1, "n1", "k", ReadConsistency.LOCAL).ok(5);

        assertThat(checkStrict().violations()).singleElement()
                .satisfies(v -> assertThat(v.rule()).isEqualTo("read-bounds"));
    }

    @Test
    void check_staleLocalRead_passesButADoubledOneFails() {
        history.invokeAdd(0, "n1", "k", 2, "", ReadConsistency.LOCAL).ok(2);
        history.invokeAdd(0, "n1", "k", 2, "", ReadConsistency.LOCAL).ok(4);
        history.invokeRead(1, "n2", "k", ReadConsistency.LOCAL).ok(0);
        history.invokeRead(1, "n2", "k", ReadConsistency.LOCAL).ok(2);
        assertThat(checkStrict().valid()).isTrue();

        history.invokeRead(1, "n2", "k", ReadConsistency.LOCAL).ok(6);
        assertThat(checkStrict().violations()).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo("read-bounds");
            assertThat(v.message()).isEqualTo("n2 read 6 for \"k\" but the adds invoked before that read completed"
                    + " allow only [0, 4]: a count that was never sent (doubled?)");
        });
    }

    @Test
    void check_indeterminateAddBeforeTheRead_mayBeSeen() {
        history.invokeAdd(0, "n1", "k", 2, "", ReadConsistency.QUORUM).info("deadline exceeded");
        history.invokeRead(1, "n2", "k", ReadConsistency.QUORUM).ok(2);
        history.invokeRead(1, "n2", "k", ReadConsistency.QUORUM).ok(0);

        assertThat(checkStrict().valid()).isTrue();
    }

    @Test
    void check_retriedAddAcknowledgedByALaterAttempt_mustBeSeenOnlyAfterThatAck() {
        history.invokeAdd(0, "n1", "k", 2, "r1", ReadConsistency.QUORUM).info("deadline exceeded");
        history.invokeRead(1, "n2", "k", ReadConsistency.QUORUM).ok(0);
        history.invokeAdd(0, "n1", "k", 2, "r1", ReadConsistency.QUORUM).ok(2);
        history.invokeRead(1, "n2", "k", ReadConsistency.QUORUM).ok(0);

        assertThat(checkStrict().violations()).singleElement().satisfies(v -> assertThat(v.message())
                .contains("returned 0").contains("outside [2, 2]"));
    }

    @Test
    void check_sameDcVisibility_excusesLocalWritesAndOtherDcs() {
        Map<String, String> dcs = Map.of("a1", "dcA", "a2", "dcA", "b1", "dcB");
        history.invokeAdd(0, "b1", "k", 5, "", ReadConsistency.QUORUM).ok(5);   // other DC
        history.invokeAdd(1, "a1", "k", 1, "", ReadConsistency.LOCAL).ok(1);    // LOCAL write
        history.invokeAdd(2, "a2", "k", 2, "", ReadConsistency.QUORUM).ok(3);   // must be seen in dcA
        history.invokeRead(3, "a1", "k", ReadConsistency.QUORUM).ok(2);

        Operations ops = Operations.of(history.events());
        assertThat(new QuorumReadChecker(Visibility.quorumWritesInSameDc(dcs)).check(ops).valid()).isTrue();
        assertThat(new QuorumReadChecker(Visibility.allAcknowledged()).check(ops).valid()).isFalse();

        history.invokeRead(3, "a1", "k", ReadConsistency.QUORUM).ok(1);
        assertThat(new QuorumReadChecker(Visibility.quorumWritesInSameDc(dcs)).check(Operations.of(history.events()))
                .violations()).singleElement().satisfies(v -> assertThat(v.message()).contains("outside [2, 8]"));
    }

    @Test
    void check_failedAndIndeterminateReads_areIgnored() {
        history.invokeAdd(0, "n1", "k", 1, "", ReadConsistency.QUORUM).ok(1);
        history.invokeRead(1, "n2", "k", ReadConsistency.QUORUM).fail("UNAVAILABLE");
        history.invokeRead(1, "n2", "k", ReadConsistency.QUORUM).info("deadline exceeded");

        assertThat(checkStrict().valid()).isTrue();
    }
}
