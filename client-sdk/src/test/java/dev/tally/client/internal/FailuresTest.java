package dev.tally.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** Reading the handler's name out of a node's ABORTED answer. */
class FailuresTest {

  private static String handler(String description) {
    return Failures.handlerNamed(Status.ABORTED.withDescription(description));
  }

  @Test
  void handlerNamed_readsTheNodeNamedAsHandler() {
    assertThat(handler("request id r-42 is being handled by n2")).isEqualTo("n2");
    assertThat(handler("request id r-42 is being handled by n2.")).isEqualTo("n2");
    assertThat(handler("request id r-42 is being handled by node-b.dc1; retry there")).isEqualTo("node-b.dc1");
    assertThat(handler("request id r-42 is being handled by n2 (since 3s)")).isEqualTo("n2");
  }

  @Test
  void handlerNamed_noneNamed_isNull() {
    assertThat(handler("aborted")).isNull();
    assertThat(Failures.handlerNamed(Status.ABORTED)).isNull();
  }
}
