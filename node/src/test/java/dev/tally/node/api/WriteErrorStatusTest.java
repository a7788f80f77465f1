package dev.tally.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.store.StoreException;
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
        Reason.STARTING, Status.Code.UNAVAILABLE,
        Reason.FENCED, Status.Code.ABORTED,
        Reason.NOT_CONFIRMED, Status.Code.UNAVAILABLE,
        Reason.STALE, Status.Code.ABORTED);
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
  void toStatus_storageFailedOnAFullDisk_isResourceExhaustedAndNamesTheCause() {
    StoreException noSpace = new StoreException(StoreException.Kind.NO_SPACE,
        "writing 3 counters failed (nothing written): IO error: No space left on device", null);
    // A write skipped behind the failed one carries it as its cause.
    StoreException skipped = new StoreException("not written: an earlier write it builds on failed", noSpace);
    StatusRuntimeException s = CounterServiceImpl.toStatus(
        new WriteException(Reason.STORAGE_FAILED, "the write could not be stored (No space left on device)", -1, skipped),
        i -> "");

    assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(s.getStatus().getDescription()).contains("No space left on device");
  }

  @Test
  void toStatus_storageFailedOnAnIoError_isUnavailable() {
    StoreException io = new StoreException(StoreException.Kind.IO, "IO error: Input/output error", null);
    StatusRuntimeException s = CounterServiceImpl.toStatus(
        new WriteException(Reason.STORAGE_FAILED, "the write could not be stored (Input/output error)", -1, io), i -> "");

    assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void toStatus_unexpectedFailure_isInternal() {
    StatusRuntimeException s = CounterServiceImpl.toStatus(new IllegalStateException("bug"), i -> "");

    assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
  }
}
