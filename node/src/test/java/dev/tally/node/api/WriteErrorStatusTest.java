package dev.tally.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.write.WriteException;
import dev.tally.gossip.write.WriteException.Reason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Every way a write can fail maps to the status code the API promises (counter.proto, docs/api.md). */
class WriteErrorStatusTest {

  @Test
  void toStatus_everyReason_hasItsDocumentedCode() {
    Map<Reason, Status.Code> expected = Map.of(
        Reason.OVERLOADED, Status.Code.RESOURCE_EXHAUSTED,
        Reason.OVERFLOW, Status.Code.OUT_OF_RANGE,
        Reason.REQUEST_ID_REUSED, Status.Code.INVALID_ARGUMENT,
        Reason.STORAGE_FAILED, Status.Code.UNAVAILABLE,
        Reason.SHUTTING_DOWN, Status.Code.UNAVAILABLE,
        Reason.STARTING, Status.Code.UNAVAILABLE);
    assertThat(expected).containsOnlyKeys(Reason.values());

    expected.forEach((reason, code) -> {
      StatusRuntimeException s = CounterServiceImpl.toStatus(
          new CompletionException(new WriteException(reason, "why")), i -> "items[" + i + "]");
      assertThat(s.getStatus().getCode()).as(reason.name()).isEqualTo(code);
      assertThat(s.getStatus().getDescription()).contains("why");
    });
  }

  @Test
  void toStatus_overflow_namesTheItemAndSaysNothingWasApplied() {
    StatusRuntimeException s = CounterServiceImpl.toStatus(
        new WriteException(Reason.OVERFLOW, "counter value too big", 17, null), i -> "items[" + i + "]");

    assertThat(s.getStatus().getDescription()).isEqualTo("items[17]: counter value too big; nothing was applied");
  }

  @Test
  void toStatus_unexpectedFailure_isInternal() {
    StatusRuntimeException s = CounterServiceImpl.toStatus(new IllegalStateException("bug"), i -> "");

    assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
  }
}
