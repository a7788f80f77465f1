package dev.tally.chaos.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AttemptStatsTest {

    private final History history = new History(new FakeClock()); // every reading advances 1 ms

    @Test
    void of_countsAttemptsInTheWindowOnTheNamedNodes_andTheLatencyOfTheAcknowledgedOnes() {
        history.invokeRead(0, "n1", "k", ReadConsistency.LOCAL).ok(0);                 // invoked at 1 ms, 1 ms
        History.Attempt slow = history.invokeAdd(1, "n2", "k", 1, "r1", ReadConsistency.LOCAL); // at 3 ms
        history.invokeRead(2, "n1", "k", ReadConsistency.LOCAL).fail("UNAVAILABLE");  // at 4 ms, failed
        history.invokeRead(3, "n3", "k", ReadConsistency.LOCAL).ok(0);                 // another node
        slow.ok(1);                                                                     // 5 ms after its invoke
        history.invokeRead(4, "n2", "k", ReadConsistency.LOCAL);                        // never completes

        AttemptStats all = AttemptStats.of(history.events(), List.of("n1", "n2"), 0, Long.MAX_VALUE);
        AttemptStats late = AttemptStats.of(history.events(), List.of("n1", "n2"), 3_000_000, Long.MAX_VALUE);

        assertThat(all.attempts()).isEqualTo(4);
        assertThat(all.acknowledged()).isEqualTo(2);
        assertThat(all.successRate()).isEqualTo(0.5);
        assertThat(all.p50Nanos()).isEqualTo(1_000_000);
        assertThat(all.p99Nanos()).isEqualTo(5_000_000);
        assertThat(late.attempts()).isEqualTo(3);
        assertThat(late.acknowledged()).isEqualTo(1);
        assertThat(late.describe()).isEqualTo("3 attempts, 33.3% acknowledged, latency p50 5.0 ms, p99 5.0 ms");
    }

    @Test
    void of_noAttempts_isAPerfectEmptyRecord() {
        AttemptStats none = AttemptStats.of(history.events(), List.of("n1"), 0, Long.MAX_VALUE);

        assertThat(none.attempts()).isZero();
        assertThat(none.successRate()).isEqualTo(1.0);
        assertThat(none.p50Nanos()).isZero();
    }
}
