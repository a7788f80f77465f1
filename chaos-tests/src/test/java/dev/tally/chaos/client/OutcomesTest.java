package dev.tally.chaos.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.load.Outcome;
import dev.tally.client.CounterOverflowException;
import dev.tally.client.InvalidArgumentException;
import dev.tally.client.TallyException;
import dev.tally.client.UnavailableException;
import dev.tally.client.WriteOutcomeUnknownException;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

class OutcomesTest {

    @Test
    void ofWriteFailure_onlyProvenNonApplicationIsAFailure() {
        assertThat(Outcomes.ofWriteFailure(new WriteOutcomeUnknownException(Status.Code.DEADLINE_EXCEEDED,
                "QUORUM write applied locally on node n1", "127.0.0.1:1", 1, "rid-1", null)))
                .isInstanceOf(Outcome.Indeterminate.class)
                .satisfies(o -> assertThat(((Outcome.Indeterminate) o).reason()).contains("retrying with request id rid-1"));
        assertThat(Outcomes.ofWriteFailure(new UnavailableException(Status.Code.UNAVAILABLE, "connection refused",
                "127.0.0.1:1", 1, false, null))).isInstanceOf(Outcome.Fail.class);
        assertThat(Outcomes.ofWriteFailure(new InvalidArgumentException("key is empty", "127.0.0.1:1", 1, null)))
                .isInstanceOf(Outcome.Fail.class);
        assertThat(Outcomes.ofWriteFailure(new CounterOverflowException("overflow", "127.0.0.1:1", 1, null)))
                .isInstanceOf(Outcome.Fail.class);
        assertThat(Outcomes.ofWriteFailure(new TallyException(Status.Code.RESOURCE_EXHAUSTED, "shed", "127.0.0.1:1", 1,
                null))).as("load shedding refuses before applying").isInstanceOf(Outcome.Fail.class);
        assertThat(Outcomes.ofWriteFailure(new TallyException(Status.Code.INTERNAL, "disk error", "127.0.0.1:1", 1,
                null))).as("an INTERNAL error may come after the write").isInstanceOf(Outcome.Indeterminate.class);
        assertThat(Outcomes.ofWriteFailure(new IllegalStateException("client closed")))
                .isInstanceOf(Outcome.Indeterminate.class)
                .satisfies(o -> assertThat(((Outcome.Indeterminate) o).reason())
                        .isEqualTo("IllegalStateException: client closed"));
    }

    @Test
    void ofReadFailure_aTimeoutIsIndeterminate_everythingElseAFailure() {
        assertThat(Outcomes.ofReadFailure(new UnavailableException(Status.Code.DEADLINE_EXCEEDED, "deadline",
                "127.0.0.1:1", 1, false, null))).isInstanceOf(Outcome.Indeterminate.class);
        assertThat(Outcomes.ofReadFailure(new UnavailableException(Status.Code.UNAVAILABLE, "refused", "127.0.0.1:1", 1,
                false, null))).isInstanceOf(Outcome.Fail.class);
        assertThat(Outcomes.ofReadFailure(new IllegalStateException("closed"))).isInstanceOf(Outcome.Fail.class);
    }
}
