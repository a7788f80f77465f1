package dev.tally.chaos.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class OperationsTest {

    private final History history = new History(new FakeClock());

    @Test
    void of_attemptsSharingARequestId_formOneLogicalAdd() {
        history.invokeAdd(0, "n1", "k", 2, "r1", ReadConsistency.LOCAL).info("timeout");
        history.invokeAdd(0, "n1", "k", 2, "r1", ReadConsistency.LOCAL).ok(2);
        history.invokeAdd(1, "n1", "k", 2, "", ReadConsistency.LOCAL).ok(4);
        history.invokeAdd(1, "n1", "k", 2, "", ReadConsistency.LOCAL).ok(6);

        Operations ops = Operations.of(history.events());

        assertThat(ops.adds()).hasSize(3);
        LogicalAdd retried = ops.adds().get(0);
        assertThat(retried.attempts()).hasSize(2);
        assertThat(retried.status()).isEqualTo(EventType.OK);
        assertThat(retried.firstInvokeIndex()).isEqualTo(0);
        assertThat(retried.ackIndex()).isEqualTo(3);
    }

    @Test
    void status_allAttemptsFailed_isFail_butOneIndeterminate_isInfo() {
        history.invokeAdd(0, "n1", "k", 2, "r1", ReadConsistency.LOCAL).fail("UNAVAILABLE");
        history.invokeAdd(0, "n1", "k", 2, "r1", ReadConsistency.LOCAL).fail("UNAVAILABLE");
        history.invokeAdd(0, "n1", "k", 3, "r2", ReadConsistency.LOCAL).fail("UNAVAILABLE");
        history.invokeAdd(0, "n1", "k", 3, "r2", ReadConsistency.LOCAL).info("timeout");

        List<LogicalAdd> adds = Operations.of(history.events()).adds();

        assertThat(adds).extracting(LogicalAdd::status).containsExactly(EventType.FAIL, EventType.INFO);
    }

    @Test
    void of_requestIdReusedForAnotherAmount_isRejected() {
        history.invokeAdd(0, "n1", "k", 2, "r1", ReadConsistency.LOCAL).ok(2);
        history.invokeAdd(0, "n1", "k", 3, "r1", ReadConsistency.LOCAL).ok(5);

        assertThatThrownBy(() -> Operations.of(history.events()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("request id r1 reused for a different operation");
    }

    @Test
    void of_completionWithoutInvocation_isRejected() {
        HistoryEvent orphan = new HistoryEvent(0, 9, 0, EventType.OK, OpKind.ADD, "n1", "k", 1, 1L, "",
                ReadConsistency.LOCAL, 0, "");

        assertThatThrownBy(() -> Operations.of(List.of(orphan)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("completion without invocation");
    }

    @Test
    void of_secondCompletion_isRejected() {
        HistoryEvent invoke = new HistoryEvent(0, 0, 0, EventType.INVOKE, OpKind.ADD, "n1", "k", 1, null, "",
                ReadConsistency.LOCAL, 0, "");
        HistoryEvent ok = new HistoryEvent(1, 0, 0, EventType.OK, OpKind.ADD, "n1", "k", 1, 1L, "",
                ReadConsistency.LOCAL, 1, "");
        HistoryEvent fail = new HistoryEvent(2, 0, 0, EventType.FAIL, OpKind.ADD, "n1", "k", 1, null, "",
                ReadConsistency.LOCAL, 2, "late");

        assertThatThrownBy(() -> Operations.of(List.of(invoke, ok, fail)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("attempt 0 completed twice");
    }

    @Test
    void complete_twice_isAHarnessBug() {
        History.Attempt a = history.invokeRead(0, "n1", "k", ReadConsistency.LOCAL);
        a.ok(0);

        assertThatThrownBy(() -> a.fail("again")).isInstanceOf(IllegalStateException.class)
                .hasMessage("attempt 0 was already completed");
    }

    @Test
    void historyEvent_zeroDeltaAdd_isRejected() {
        assertThatThrownBy(() -> history.invokeAdd(0, "n1", "k", 0, "", ReadConsistency.LOCAL))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("delta of an ADD must not be 0");
    }

    @Test
    void describe_showsTypeNodeKeyAmountAndTime() {
        history.invokeAdd(3, "n2", "likes:1", -4, "r9", ReadConsistency.QUORUM).info("deadline exceeded");

        assertThat(history.events().get(1).describe())
                .isEqualTo("1 p3 info add n2 \"likes:1\" -4 quorum rid=r9 error=deadline exceeded @0.002s");
    }
}
