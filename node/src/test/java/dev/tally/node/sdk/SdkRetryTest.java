package dev.tally.node.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.client.CounterChange;
import dev.tally.client.CounterValue;
import dev.tally.client.RequestOptions;
import dev.tally.client.RetryPolicy;
import dev.tally.client.TallyClient;
import dev.tally.client.WriteOutcomeUnknownException;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.FaultyFront;
import dev.tally.node.testing.FaultyFront.Fault;
import dev.tally.node.testing.TestNodes;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Retries after a lost response never count twice. A {@link FaultyFront} serves the real node's
 * services and loses the answer of the first attempt after the node applied it (replaced by
 * UNAVAILABLE, or never sent so the attempt times out); the client retries with the same request
 * id on the same node, whose dedupe returns the first result and applies nothing.
 */
class SdkRetryTest {

  @TempDir
  static Path dir;

  private static TallyNode node;
  private static TallyClient direct;
  private FaultyFront front;
  private TallyClient client;

  @BeforeAll
  static void startNode() {
    node = TestNodes.start(dir);
    direct = TallyClient.builder().endpoints("127.0.0.1:" + node.clientPort()).build();
  }

  @AfterAll
  static void stopNode() {
    if (direct != null) {
      direct.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void startFront() {
    front = FaultyFront.start(node);
    // A short attempt timeout so that a dropped answer costs 300 ms, well inside the call's deadline.
    client = TallyClient.builder().endpoints(front.endpoint())
        .retryPolicy(RetryPolicy.defaults().withAttemptTimeout(Duration.ofMillis(300)))
        .deadline(Duration.ofSeconds(20)).build();
  }

  @AfterEach
  void stopFront() {
    client.close();
    front.close();
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void increment_firstAnswerLostAfterTheNodeApplied_isRetriedWithTheSameIdAndCountedOnce(Fault fault) {
    String key = "inc:" + fault;
    front.arm(CounterServiceGrpc.getIncrementMethod(), fault, 1);

    CounterValue value = client.increment(key, 7);

    assertThat(value.value()).isEqualTo(7);
    assertThat(direct.get(key).value()).isEqualTo(7);
    List<IncrementRequest> attempts = front.requests(CounterServiceGrpc.getIncrementMethod()).stream()
        .filter(r -> r.getKey().equals(key)).toList();
    assertThat(attempts).hasSize(2);
    assertThat(attempts.get(1).getRequestId()).isNotEmpty().isEqualTo(attempts.get(0).getRequestId());
    assertThat(front.answeredByNode(CounterServiceGrpc.getIncrementMethod())).as("both attempts reached the node").isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void decrement_firstAnswerLostAfterTheNodeApplied_isCountedOnce(Fault fault) {
    String key = "dec:" + fault;
    front.arm(CounterServiceGrpc.getDecrementMethod(), fault, 1);

    assertThat(client.decrement(key, 4).value()).isEqualTo(-4);

    assertThat(direct.get(key).value()).isEqualTo(-4);
    List<DecrementRequest> attempts = front.requests(CounterServiceGrpc.getDecrementMethod());
    assertThat(attempts).hasSize(2);
    assertThat(attempts.get(1).getRequestId()).isEqualTo(attempts.get(0).getRequestId());
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void incrementMany_firstAnswerLostAfterTheNodeApplied_appliesTheBatchOnce(Fault fault) {
    String a = "batch:a:" + fault;
    String b = "batch:b:" + fault;
    front.arm(CounterServiceGrpc.getIncrementManyMethod(), fault, 1);

    List<CounterValue> values = client.incrementMany(List.of(
        CounterChange.increment(a, 3), CounterChange.decrement(b, 2)));

    assertThat(values).extracting(CounterValue::value).containsExactly(3L, -2L);
    assertThat(direct.getMany(List.of(a, b))).extracting(CounterValue::value).containsExactly(3L, -2L);
    List<IncrementManyRequest> attempts = front.requests(CounterServiceGrpc.getIncrementManyMethod());
    assertThat(attempts).hasSize(2);
    assertThat(attempts.get(1).getRequestId()).isEqualTo(attempts.get(0).getRequestId());
  }

  @Test
  void get_firstAnswerLost_isRetried() {
    direct.increment("read", 5);
    front.arm(CounterServiceGrpc.getGetMethod(), Fault.FAIL_RESPONSE, 1);

    assertThat(client.get("read").value()).isEqualTo(5);
    assertThat(front.requests(CounterServiceGrpc.getGetMethod())).hasSize(2);
  }

  @Test
  void everyAnswerLost_isWriteOutcomeUnknownAndARetryWithItsIdAppliesNothing() {
    front.arm(CounterServiceGrpc.getIncrementMethod(), Fault.FAIL_RESPONSE, Integer.MAX_VALUE);

    WriteOutcomeUnknownException e = catchThrowableOfType(WriteOutcomeUnknownException.class,
        () -> client.increment("unknown", 5));

    assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.attempts()).isEqualTo(RetryPolicy.defaults().maxAttempts());
    assertThat(e.requestId()).isPresent();
    assertThat(e.getMessage()).contains("retrying with request id " + e.requestId().get() + " is safe");
    // It was applied once, by the first attempt; the later attempts were dedupe hits.
    assertThat(direct.get("unknown").value()).isEqualTo(5);
    assertThat(front.answeredByNode(CounterServiceGrpc.getIncrementMethod())).isEqualTo(4);

    CounterValue retried = direct.increment("unknown", 5, RequestOptions.defaults().withRequestId(e.requestId().get()));

    assertThat(retried.value()).isEqualTo(5);
    assertThat(direct.get("unknown").value()).isEqualTo(5);
  }

  @Test
  void noAnswerBeforeTheDeadline_isWriteOutcomeUnknownWithDeadlineExceededAndCountedOnce() {
    front.arm(CounterServiceGrpc.getIncrementMethod(), Fault.DROP_RESPONSE, Integer.MAX_VALUE);

    WriteOutcomeUnknownException e = catchThrowableOfType(WriteOutcomeUnknownException.class,
        () -> client.increment("silent", 3, RequestOptions.deadline(Duration.ofSeconds(1))));

    assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(e.attempts()).isBetween(1, RetryPolicy.defaults().maxAttempts());
    assertThat(e.requestId()).isPresent();
    List<IncrementRequest> attempts = front.requests(CounterServiceGrpc.getIncrementMethod());
    assertThat(attempts).extracting(IncrementRequest::getRequestId).containsOnly(e.requestId().get());
    assertThat(direct.get("silent").value()).isEqualTo(3);
  }
}
