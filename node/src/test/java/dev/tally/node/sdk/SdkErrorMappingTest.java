package dev.tally.node.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import dev.tally.client.CounterChange;
import dev.tally.client.CounterOverflowException;
import dev.tally.client.InvalidArgumentException;
import dev.tally.client.RequestOptions;
import dev.tally.client.RetryPolicy;
import dev.tally.client.TallyClient;
import dev.tally.client.TallyException;
import dev.tally.client.UnavailableException;
import dev.tally.client.WatchSubscription;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import dev.tally.node.testing.WatchClient;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every error the client maps, produced by a real node. Input the client refuses before sending
 * must be refused with the node's own words (so a user sees one message whichever side caught
 * it): each case sends the same input to the node over a raw stub and compares.
 */
class SdkErrorMappingTest {

  @TempDir
  static Path dir;

  private static TallyNode node;
  private static ManagedChannel raw;
  private static TallyClient client;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dir.resolve("node"));
    raw = TestNodes.channel(node);
    client = TallyClient.builder().endpoints("127.0.0.1:" + node.clientPort())
        .deadline(Duration.ofSeconds(20)).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    TestNodes.shutdown(raw);
    if (node != null) {
      node.close();
    }
  }

  private static CounterServiceGrpc.CounterServiceBlockingStub stub() {
    return TestNodes.blocking(raw);
  }

  /** One bad input: how the client is given it, and the same input as the node would get it. */
  private record BadInput(String name, Runnable viaClient, Runnable viaNode) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> badInputs() {
    String big = "k".repeat(5000);
    String multiByte = "é".repeat(2049); // 4098 bytes of UTF-8
    List<String> tooMany = new ArrayList<>(Collections.nCopies(1001, "k"));
    List<CounterChange> tooManyChanges = new ArrayList<>(Collections.nCopies(1001, CounterChange.increment("k")));
    IncrementManyRequest.Builder tooManyItems = IncrementManyRequest.newBuilder();
    tooMany.forEach(k -> tooManyItems.addItemsBuilder().setKey(k));
    return Stream.of(
        new BadInput("increment of an empty key",
            () -> client.increment(""),
            () -> stub().increment(IncrementRequest.newBuilder().setKey("").build())),
        new BadInput("increment of a 5000-byte key",
            () -> client.increment(big, 2),
            () -> stub().increment(IncrementRequest.newBuilder().setKey(big).setAmount(2).build())),
        new BadInput("decrement of a 4098-byte multi-byte key",
            () -> client.decrement(multiByte),
            () -> stub().decrement(DecrementRequest.newBuilder().setKey(multiByte).build())),
        new BadInput("get of an empty key",
            () -> client.get(""),
            () -> stub().get(GetRequest.newBuilder().setKey("").build())),
        new BadInput("increment by 0",
            () -> client.increment("k", 0),
            () -> stub().increment(IncrementRequest.newBuilder().setKey("k").setAmount(0).build())),
        new BadInput("decrement by a negative amount",
            () -> client.decrement("k", -5),
            () -> stub().decrement(DecrementRequest.newBuilder().setKey("k").setAmount(-5).build())),
        new BadInput("getMany of no keys",
            () -> client.getMany(List.of()),
            () -> stub().getMany(GetManyRequest.getDefaultInstance())),
        new BadInput("getMany of 1001 keys",
            () -> client.getMany(tooMany),
            () -> stub().getMany(GetManyRequest.newBuilder().addAllKeys(tooMany).build())),
        new BadInput("getMany with an empty second key",
            () -> client.getMany(List.of("a", "")),
            () -> stub().getMany(GetManyRequest.newBuilder().addKeys("a").addKeys("").build())),
        new BadInput("incrementMany of no items",
            () -> client.incrementMany(List.of()),
            () -> stub().incrementMany(IncrementManyRequest.getDefaultInstance())),
        new BadInput("incrementMany of 1001 items",
            () -> client.incrementMany(tooManyChanges),
            () -> stub().incrementMany(tooManyItems.build())),
        new BadInput("incrementMany with an amount of 0",
            () -> client.incrementMany(List.of(CounterChange.increment("a"), new CounterChange("b", 0))),
            () -> stub().incrementMany(IncrementManyRequest.newBuilder()
                .addItems(IncrementManyRequest.Item.newBuilder().setKey("a"))
                .addItems(IncrementManyRequest.Item.newBuilder().setKey("b").setAmount(0)).build())),
        new BadInput("incrementMany with a 5000-byte key",
            () -> client.incrementMany(List.of(new CounterChange(big, 1))),
            () -> stub().incrementMany(IncrementManyRequest.newBuilder()
                .addItems(IncrementManyRequest.Item.newBuilder().setKey(big).setAmount(1)).build())),
        new BadInput("watch of no keys",
            () -> client.watch(List.of(), v -> {}),
            () -> stub().watch(WatchRequest.getDefaultInstance()).hasNext()),
        new BadInput("watch with a 5000-byte second key",
            () -> client.watch(List.of("ok", big), v -> {}),
            () -> stub().watch(WatchRequest.newBuilder().addKeys("ok").addKeys(big).build()).hasNext())
    ).map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInput_isRefusedBeforeSendingInTheNodesOwnWords(BadInput input) {
    StatusRuntimeException fromNode = catchThrowableOfType(StatusRuntimeException.class, input.viaNode()::run);
    InvalidArgumentException fromClient = catchThrowableOfType(InvalidArgumentException.class, input.viaClient()::run);

    assertThat(fromNode).as("the node refuses it").isNotNull();
    assertThat(fromNode.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(fromClient).as("the client refuses it").isNotNull();
    assertThat(fromClient.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(fromClient.description()).isEqualTo(fromNode.getStatus().getDescription());
    assertThat(fromClient.getMessage()).isEqualTo("INVALID_ARGUMENT: " + fromNode.getStatus().getDescription());
    assertThat(fromClient.attempts()).as("refused before sending").isZero();
    assertThat(client.getMany(List.of("k", "a", "b"))).allSatisfy(v -> assertThat(v.value()).isZero());
  }

  @Test
  void requestIdReusedForAnotherWrite_isInvalidArgumentWithTheNodesMessageAndAppliesNothing() {
    RequestOptions id = RequestOptions.defaults().withRequestId("reused-id");
    client.increment("reuse:a", 3, id);

    InvalidArgumentException e = catchThrowableOfType(InvalidArgumentException.class,
        () -> client.increment("reuse:b", 3, id));

    assertThat(e.description()).startsWith("request_id 'reused-id' was already used for a different request")
        .contains("nothing was applied");
    assertThat(e.attempts()).as("never retried").isEqualTo(1);
    assertThat(e.endpoint()).contains("127.0.0.1:" + node.clientPort());
    assertThat(client.get("reuse:b").value()).isZero();
  }

  @Test
  void overflow_isCounterOverflowWithTheNodesMessageAndAppliesNothing() {
    client.increment("big", Long.MAX_VALUE);

    CounterOverflowException single = catchThrowableOfType(CounterOverflowException.class,
        () -> client.increment("big", 1));
    CounterOverflowException batch = catchThrowableOfType(CounterOverflowException.class,
        () -> client.incrementMany(List.of(CounterChange.increment("small", 1), CounterChange.increment("big", 1))));

    assertThat(single.code()).isEqualTo(Status.Code.OUT_OF_RANGE);
    assertThat(single.description()).startsWith("key 'big': ").endsWith("; nothing was applied");
    assertThat(single.attempts()).isEqualTo(1);
    assertThat(batch.description()).startsWith("items[1] (key 'big'): ").endsWith("; nothing was applied");
    assertThat(client.getMany(List.of("big", "small"))).extracting(v -> v.value())
        .containsExactly(Long.MAX_VALUE, 0L);
  }

  @Test
  void noNodeListening_isUnavailableAfterEveryAttemptForReadsAndWrites() {
    try (TallyClient toNowhere = TallyClient.builder().endpoints("127.0.0.1:" + TestNodes.freePort())
        .retryPolicy(RetryPolicy.defaults().withMaxAttempts(3).withBackoff(Duration.ofMillis(5), Duration.ofMillis(20)))
        .deadline(Duration.ofSeconds(20)).build()) {
      UnavailableException read = catchThrowableOfType(UnavailableException.class, () -> toNowhere.get("k"));
      UnavailableException write = catchThrowableOfType(UnavailableException.class, () -> toNowhere.increment("k"));

      for (UnavailableException e : List.of(read, write)) {
        assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.attempts()).isEqualTo(3);
        assertThat(e.retryBudgetExhausted()).isFalse();
        assertThat(e.getMessage()).contains("Connection refused");
      }
    }
  }

  @Test
  void watchRefusedForLoad_endsWithTheNodesResourceExhaustedMessageAfterTheReconnectTimeout() throws Exception {
    try (TallyNode small = TestNodes.start(dir.resolve("small"), "max-watch-streams", "1");
        TallyClient watcher = TallyClient.builder().endpoints("127.0.0.1:" + small.clientPort())
            .watchReconnectTimeout(Duration.ofMillis(500)).build()) {
      ManagedChannel channel = TestNodes.channel(small);
      try {
        WatchClient occupying = WatchClient.open(channel, List.of("k"));
        occupying.next();
        RecordingListener events = new RecordingListener();

        try (WatchSubscription refused = watcher.watch(List.of("k"), events)) {
          TallyException error = events.next(RecordingListener.Failed.class).error();

          assertThat(error).isInstanceOf(UnavailableException.class);
          assertThat(error.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
          assertThat(error.description()).contains("this node already serves 1 Watch streams (max-watch-streams)");
          assertThat(refused.isActive()).isFalse();
        }
        occupying.cancel();
      } finally {
        TestNodes.shutdown(channel);
      }
    }
  }
}
