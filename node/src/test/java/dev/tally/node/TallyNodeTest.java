package dev.tally.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.storage.DataDirException;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TallyNodeTest {

  @TempDir
  Path dir;

  @Test
  void start_clientPortTaken_failsNamingThePortAndReleasesTheDataDir() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();

      assertThatThrownBy(() -> TestNodes.start(dir, "port", Integer.toString(port)))
          .isInstanceOf(NodeStartException.class)
          .hasMessageContaining("127.0.0.1:" + port);
    }
    try (TallyNode node = TestNodes.start(dir)) {
      assertThat(node.isServing()).isTrue();
    }
  }

  @Test
  void start_dataDirOfARunningNode_isRefused() {
    try (TallyNode first = TestNodes.start(dir)) {
      assertThatThrownBy(() -> TestNodes.start(dir))
          .isInstanceOf(DataDirException.class)
          .hasMessageContaining("in use by another tally node");
      assertThat(first.isServing()).isTrue();
    }
  }

  @Test
  void start_otherClusterId_isRefused() {
    TestNodes.start(dir, "cluster-id", "blue").close();

    assertThatThrownBy(() -> TestNodes.start(dir, "cluster-id", "green"))
        .isInstanceOf(DataDirException.class)
        .hasMessageContaining("belongs to cluster 'blue'");
  }

  @Test
  void close_withWritesInFlight_keepsEveryAcknowledgedWriteAndNothingElse() throws Exception {
    TallyNode node = TestNodes.start(dir);
    ManagedChannel channel = TestNodes.channel(node);
    List<ListenableFuture<CounterValue>> calls = new ArrayList<>();
    int acked = 0;
    try {
      CounterServiceGrpc.CounterServiceFutureStub async = CounterServiceGrpc.newFutureStub(channel);
      for (int i = 0; i < 2000; i++) {
        calls.add(async.increment(IncrementRequest.newBuilder().setKey("k").build()));
      }
      // Close while writes are being acknowledged, not before the first one lands.
      await().atMost(Duration.ofSeconds(30)).until(() -> calls.stream().filter(ListenableFuture::isDone).count() >= 100);
      node.close();
      for (ListenableFuture<CounterValue> call : calls) {
        try {
          call.get(30, TimeUnit.SECONDS);
          acked++;
        } catch (ExecutionException e) {
          assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        }
      }
    } finally {
      TestNodes.shutdown(channel);
      node.close();
    }

    assertThat(acked).isGreaterThanOrEqualTo(100);
    try (TallyNode again = TestNodes.start(dir)) {
      ManagedChannel ch = TestNodes.channel(again);
      try {
        long value = TestNodes.blocking(ch).get(GetRequest.newBuilder().setKey("k").build()).getValue();
        assertThat(value).isEqualTo(acked);
      } finally {
        TestNodes.shutdown(ch);
      }
    }
  }
}
