package dev.tally.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import dev.tally.node.testing.WatchClient;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchTest {

  @TempDir
  Path dir;

  private TallyNode node;
  private ManagedChannel channel;
  private Server inProcessServer;
  private ManagedChannel inProcessChannel;

  private void start(String... overrides) {
    node = TestNodes.start(dir, overrides);
    channel = TestNodes.channel(node);
  }

  @AfterEach
  void stop() throws InterruptedException {
    TestNodes.shutdown(inProcessChannel);
    if (inProcessServer != null) {
      inProcessServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  private CounterValue inc(String key, long amount) {
    return TestNodes.blocking(channel).increment(IncrementRequest.newBuilder().setKey(key).setAmount(amount).build());
  }

  @Test
  void watch_sendsCurrentValuesFirstThenEveryChange() throws Exception {
    start();
    inc("a", 3);
    WatchClient w = WatchClient.open(channel, List.of("a", "b", "a"));
    WatchClient second = WatchClient.open(channel, List.of("b"));

    CounterValue a0 = w.next();
    CounterValue b0 = w.next();
    assertThat(a0.getKey()).isEqualTo("a");
    assertThat(a0.getValue()).isEqualTo(3);
    assertThat(a0.hasUpdatedAt()).isTrue();
    assertThat(b0.getKey()).isEqualTo("b");
    assertThat(b0.getValue()).isZero();
    assertThat(b0.hasUpdatedAt()).isFalse();
    assertThat(second.next().getValue()).isZero();

    inc("b", 2);
    CounterValue b1 = w.next();
    assertThat(b1.getKey()).isEqualTo("b");
    assertThat(b1.getValue()).isEqualTo(2);
    assertThat(second.next().getValue()).isEqualTo(2);

    inc("a", 1);
    inc("unwatched", 1);
    CounterValue a1 = w.next();
    assertThat(a1.getKey()).isEqualTo("a");
    assertThat(a1.getValue()).isEqualTo(4);

    inc("b", 1);
    assertThat(w.next().getValue()).isEqualTo(3);
    assertThat(w.poll()).isNull(); // one message per change of a watched key, no duplicates
    assertThat(w.received()).isEqualTo(5);
    w.cancel();
    second.cancel();
    await().atMost(Duration.ofSeconds(10)).until(() -> node.openWatchStreams() == 0);
  }

  @Test
  void watch_slowReader_getsOnlyTheLatestValueAndNeverHoldsUpWriters() throws Exception {
    start();
    // The in-process transport's readiness follows the client's requests exactly, so "the
    // reader asked for nothing" means "the server may send nothing".
    String name = "watch-" + System.nanoTime();
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor();
    node.serviceDefinitions().forEach(builder::addService);
    inProcessServer = builder.build().start();
    inProcessChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
    WatchClient slow = WatchClient.open(inProcessChannel, List.of("hot"), 1);
    assertThat(slow.next().getValue()).isZero();

    CounterServiceGrpc.CounterServiceFutureStub async = CounterServiceGrpc.newFutureStub(inProcessChannel);
    int writes = 1000;
    List<com.google.common.util.concurrent.ListenableFuture<CounterValue>> acks = new ArrayList<>();
    for (int i = 0; i < writes; i++) {
      acks.add(async.increment(IncrementRequest.newBuilder().setKey("hot").build()));
    }
    for (var ack : acks) {
      ack.get(30, TimeUnit.SECONDS); // every write is acknowledged while the reader reads nothing
    }
    assertThat(slow.poll()).isNull();

    slow.request(1);
    CounterValue latest = slow.next();
    assertThat(latest.getValue()).isEqualTo(writes);
    slow.request(1);
    inc("hot", 1);
    assertThat(slow.next().getValue()).isEqualTo(writes + 1);
    assertThat(slow.received()).isEqualTo(3); // initial, the coalesced 1000, then 1001
    slow.cancel();
  }

  @Test
  void watch_pastTheStreamCap_isResourceExhaustedUntilOneEnds() throws Exception {
    start("max-watch-streams", "2");
    WatchClient one = WatchClient.open(channel, List.of("k"));
    WatchClient two = WatchClient.open(channel, List.of("k"));
    one.next();
    two.next();

    WatchClient three = WatchClient.open(channel, List.of("k"));
    await().atMost(Duration.ofSeconds(10)).until(() -> three.error() != null);
    Status status = Status.fromThrowable(three.error());
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("2 Watch streams", "max-watch-streams");

    one.cancel();
    await().atMost(Duration.ofSeconds(10)).until(() -> node.openWatchStreams() == 1);
    WatchClient four = WatchClient.open(channel, List.of("k"));
    assertThat(four.next().getValue()).isZero();
    inc("k", 1);
    assertThat(two.next().getValue()).isEqualTo(1);
    assertThat(four.next().getValue()).isEqualTo(1);
    two.cancel();
    four.cancel();
  }

  @Test
  void watch_nodeShutsDown_streamEndsWithUnavailable() throws Exception {
    start();
    WatchClient w = WatchClient.open(channel, List.of("k"));
    w.next();

    node.close();

    await().atMost(Duration.ofSeconds(10)).until(() -> w.error() != null);
    Status status = Status.fromThrowable(w.error());
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getDescription()).contains("shutting down");
  }
}
