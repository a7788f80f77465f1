package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every status code a node may send, for a read and a write, maps to its exception with the
 * node's message; definite answers are never retried; bad input never leaves the client.
 */
class ErrorMappingTest {

  private final FakeCluster cluster = FakeCluster.of(1);
  private final FakeCluster.Node node = cluster.node(0);
  private final TallyClient client = cluster.clientBuilder()
      .retryPolicy(RetryPolicy.defaults().withBackoff(
          java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(2)))
      .build();

  @AfterEach
  void tearDown() {
    client.close();
    cluster.close();
  }

  static Stream<Arguments> definiteCodes() {
    return Stream.of(
        Arguments.of(Status.Code.INVALID_ARGUMENT, InvalidArgumentException.class),
        Arguments.of(Status.Code.OUT_OF_RANGE, CounterOverflowException.class),
        Arguments.of(Status.Code.FAILED_PRECONDITION, FailedPreconditionException.class),
        Arguments.of(Status.Code.UNIMPLEMENTED, TallyException.class),
        Arguments.of(Status.Code.PERMISSION_DENIED, PermissionDeniedException.class),
        Arguments.of(Status.Code.UNAUTHENTICATED, UnauthenticatedException.class),
        Arguments.of(Status.Code.INTERNAL, TallyException.class),
        Arguments.of(Status.Code.UNKNOWN, TallyException.class),
        Arguments.of(Status.Code.ABORTED, TallyException.class),
        Arguments.of(Status.Code.NOT_FOUND, TallyException.class),
        Arguments.of(Status.Code.ALREADY_EXISTS, TallyException.class),
        Arguments.of(Status.Code.DATA_LOSS, TallyException.class),
        Arguments.of(Status.Code.CANCELLED, TallyException.class));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("definiteCodes")
  void definiteStatus_onRead_mapsToItsExceptionWithoutRetry(Status.Code code, Class<?> type) {
    node.faults.always(Faults.Kind.REJECT, Status.fromCode(code).withDescription("node says no: " + code), null);
    assertThatThrownBy(() -> client.get("k"))
        .isExactlyInstanceOf(type)
        .isInstanceOfSatisfying(TallyException.class, e -> {
          assertThat(e.code()).isEqualTo(code);
          assertThat(e.description()).isEqualTo("node says no: " + code);
          assertThat(e.attempts()).isEqualTo(1);
          assertThat(e.endpoint()).contains("node-a:7000");
          assertThat(e.getMessage()).isEqualTo(code + ": node says no: " + code + " (1 attempt, last on node-a:7000)");
        });
    assertThat(node.faults.calls("Get")).isEqualTo(1);
  }

  /** ABORTED on a write means another node handles its request id (see WriteFailoverTest). */
  static Stream<Arguments> definiteWriteCodes() {
    return definiteCodes().filter(a -> a.get()[0] != Status.Code.ABORTED);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("definiteWriteCodes")
  void definiteStatus_onWrite_mapsToItsExceptionWithoutRetry(Status.Code code, Class<?> type) {
    node.faults.always(Faults.Kind.REJECT, Status.fromCode(code).withDescription("node says no"), null);
    assertThatThrownBy(() -> client.increment("k"))
        .isExactlyInstanceOf(type)
        .isInstanceOfSatisfying(TallyException.class, e -> assertThat(e.code()).isEqualTo(code));
    assertThat(node.faults.calls("Increment")).isEqualTo(1);
  }

  @Test
  void aborted_onWrite_isRetried_andEndsAsOutcomeUnknown_becauseAnotherNodeHandlesTheId() {
    node.faults.always(Faults.Kind.REJECT,
        Status.ABORTED.withDescription("request id r is being handled by n2"), "Increment");
    assertThatThrownBy(() -> client.increment("k"))
        .isInstanceOfSatisfying(WriteOutcomeUnknownException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.ABORTED);
          assertThat(e.priorNodes()).containsExactly("n2");
        });
    assertThat(node.faults.calls("Increment")).isEqualTo(4);
  }

  @Test
  void transientStatus_onRead_retriedThenUnavailableException() {
    for (Status.Code code : List.of(Status.Code.UNAVAILABLE, Status.Code.RESOURCE_EXHAUSTED, Status.Code.DEADLINE_EXCEEDED)) {
      node.faults.clear();
      node.faults.always(Faults.Kind.REJECT, Status.fromCode(code).withDescription("busy"), null);
      int before = node.faults.calls("Get");
      assertThatThrownBy(() -> client.get("k"))
          .isExactlyInstanceOf(UnavailableException.class)
          .isInstanceOfSatisfying(UnavailableException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.description()).isEqualTo("busy");
            assertThat(e.attempts()).isEqualTo(4);
            assertThat(e.retryBudgetExhausted()).isFalse();
          });
      assertThat(node.faults.calls("Get") - before).isEqualTo(4);
    }
  }

  @Test
  void overflow_fromTheNode_isCounterOverflowWithTheNodesMessage() {
    client.increment("big", Long.MAX_VALUE);
    assertThatThrownBy(() -> client.increment("big", 1))
        .isInstanceOfSatisfying(CounterOverflowException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.OUT_OF_RANGE);
          assertThat(e.description()).contains("outside 64 bits; nothing applied");
        });
    assertThatThrownBy(() -> client.incrementMany(List.of(
            CounterChange.increment("other", 5), CounterChange.increment("big", 1))))
        .isInstanceOf(CounterOverflowException.class);
    assertThat(node.service.value("big")).isEqualTo(Long.MAX_VALUE);
    assertThat(node.service.value("other")).isZero();
  }

  @Test
  void requestIdReusedForAnotherWrite_isInvalidArgumentFromTheNode() {
    client.increment("a", 1, RequestOptions.defaults().withRequestId("same"));
    assertThatThrownBy(() -> client.increment("b", 1, RequestOptions.defaults().withRequestId("same")))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("request_id same was already used for a different request");
  }

  static Stream<Arguments> badInput() {
    String tooLong = "k".repeat(4097);
    List<String> tooMany = new ArrayList<>(Collections.nCopies(1001, "k"));
    List<CounterChange> tooManyChanges = new ArrayList<>(Collections.nCopies(1001, CounterChange.increment("k")));
    return Stream.of(
        Arguments.of("empty key", (Runnable) () -> CLIENT.get().increment(""), "key is empty; a key is 1..4096 bytes of UTF-8"),
        Arguments.of("long key", (Runnable) () -> CLIENT.get().get(tooLong), "key is 4097 bytes; the limit is 4096 bytes of UTF-8"),
        Arguments.of("multibyte key", (Runnable) () -> CLIENT.get().get("é".repeat(2049)), "key is 4098 bytes; the limit is 4096 bytes of UTF-8"),
        Arguments.of("lone surrogate", (Runnable) () -> CLIENT.get().increment("ab\uD800c"), "key is not valid UTF-8: unpaired surrogate at index 2"),
        Arguments.of("amount 0", (Runnable) () -> CLIENT.get().increment("k", 0), "amount must be >= 1 when given (absent means 1), got 0"),
        Arguments.of("negative decrement", (Runnable) () -> CLIENT.get().decrement("k", -3), "amount must be >= 1 when given (absent means 1), got -3"),
        Arguments.of("empty getMany", (Runnable) () -> CLIENT.get().getMany(List.of()), "keys is empty; GetMany needs 1..1000 keys"),
        Arguments.of("getMany 1001", (Runnable) () -> CLIENT.get().getMany(tooMany), "keys has 1001 entries; the limit is 1000"),
        Arguments.of("getMany bad key", (Runnable) () -> CLIENT.get().getMany(List.of("a", "")), "keys[1] is empty; a key is 1..4096 bytes of UTF-8"),
        Arguments.of("empty incrementMany", (Runnable) () -> CLIENT.get().incrementMany(List.of()), "items is empty; IncrementMany needs 1..1000 items"),
        Arguments.of("incrementMany 1001", (Runnable) () -> CLIENT.get().incrementMany(tooManyChanges), "items has 1001 entries; the limit is 1000"),
        Arguments.of("item amount 0", (Runnable) () -> CLIENT.get().incrementMany(List.of(CounterChange.increment("a"), new CounterChange("b", 0))), "items[1].amount must not be 0 (absent means +1; a negative amount decrements)"),
        Arguments.of("item bad key", (Runnable) () -> CLIENT.get().incrementMany(List.of(new CounterChange(tooLong, 1))), "items[0].key is 4097 bytes; the limit is 4096 bytes of UTF-8"),
        Arguments.of("empty watch", (Runnable) () -> CLIENT.get().watch(List.of(), v -> {}), "keys is empty; Watch needs 1..1000 keys"),
        Arguments.of("watch bad key", (Runnable) () -> CLIENT.get().watchPublisher(List.of("ok", tooLong)), "keys[1] is 4097 bytes; the limit is 4096 bytes of UTF-8"));
  }

  private static final ThreadLocal<TallyClient> CLIENT = new ThreadLocal<>();

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInput")
  void badInput_isInvalidArgumentBeforeSending(String name, Runnable call, String message) {
    CLIENT.set(client);
    try {
      assertThatThrownBy(call::run)
          .isExactlyInstanceOf(InvalidArgumentException.class)
          .isInstanceOfSatisfying(InvalidArgumentException.class, e -> {
            assertThat(e.description()).isEqualTo(message);
            assertThat(e.attempts()).isZero();
            assertThat(e.endpoint()).isEmpty();
          });
    } finally {
      CLIENT.remove();
    }
    assertThat(node.faults.totalCalls()).isZero();
  }

  @Test
  void keyOfExactly4096Bytes_isAccepted() {
    String key = "é".repeat(2048);
    assertThat(client.increment(key).value()).isEqualTo(1);
  }
}
