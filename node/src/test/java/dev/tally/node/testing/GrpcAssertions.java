package dev.tally.node.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Checks a call fails with a status code and a message containing every fragment. */
public final class GrpcAssertions {
  private GrpcAssertions() {}

  public static StatusRuntimeException assertStatus(ThrowingCallable call, Status.Code code, String... fragments) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
    assertThat(e).as("expected %s", code).isNotNull();
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
    for (String f : fragments) {
      assertThat(e.getStatus().getDescription()).contains(f);
    }
    return e;
  }
}
