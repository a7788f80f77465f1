package dev.tally.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.config.NodeConfig;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.rocksdb.RocksDBException;

/**
 * Issue 11, defect 3: a store that fails every write (a full disk, an I/O error) turns the node
 * NOT_SERVING with the cause, refuses writes with RESOURCE_EXHAUSTED or UNAVAILABLE, keeps serving
 * reads, and comes back to SERVING by itself once writes work again, having lost no acknowledged
 * write, before or after a restart.
 */
class HealthOnStoreFailureTest {

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** What the disk does, the status code clients must get, and what the messages must name. */
  enum Fault {
    NO_SPACE(Status.Code.RESOURCE_EXHAUSTED, "No space left on device", "the data disk is full",
        new org.rocksdb.Status(org.rocksdb.Status.Code.IOError, org.rocksdb.Status.SubCode.NoSpace, "No space left on device")),
    IO_ERROR(Status.Code.UNAVAILABLE, "Input/output error", "the data disk failed an I/O operation",
        new org.rocksdb.Status(org.rocksdb.Status.Code.IOError, org.rocksdb.Status.SubCode.None, "Input/output error"));

    final Status.Code code;
    final String rocksMessage;
    final String summary;
    final org.rocksdb.Status status;

    Fault(Status.Code code, String rocksMessage, String summary, org.rocksdb.Status status) {
      this.code = code;
      this.rocksMessage = rocksMessage;
      this.summary = summary;
      this.status = status;
    }

    RocksDBException exception() {
      // The text RocksDB gives a failed WAL append.
      return new RocksDBException("IO error: " + rocksMessage + ": While appending to file: 000009.log", status);
    }
  }

  /** Fails every store write (counter batches and probes) while a fault is set. */
  static final class Disk implements RocksStateStore.WriteHook {
    volatile Fault fault;

    @Override
    public void beforeWrite(int counters) throws RocksDBException {
      Fault f = fault;
      if (f != null) {
        throw f.exception();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void stickyStoreFailure_turnsNotServingRefusesWritesServesReads_andRecoversByItself(Fault fault) throws Exception {
    Disk disk = new Disk();
    NodeConfig config = TestNodes.config(dir, "metrics-port", Integer.toString(TestNodes.freePort()));
    long acked = 0;
    try (TallyNode node = TallyNode.start(config, TallyNode.Options.defaults().withStoreWriteHook(disk))) {
      ManagedChannel channel = TestNodes.channel(node);
      try {
        CounterServiceGrpc.CounterServiceBlockingStub stub = TestNodes.blocking(channel);
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        for (int i = 0; i < 10; i++) {
          stub.increment(increment("before-" + i));
          acked++;
        }
        assertThat(servingStatus(health)).isEqualTo(ServingStatus.SERVING);

        // The disk fails while writes are in flight: each either lands (acknowledged) or fails with
        // the fault's code and cause, never UNKNOWN or INTERNAL.
        CounterServiceGrpc.CounterServiceFutureStub async = CounterServiceGrpc.newFutureStub(channel);
        List<ListenableFuture<CounterValue>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          if (i == 20) {
            disk.fault = fault;
          }
          calls.add(async.withDeadlineAfter(30, TimeUnit.SECONDS).increment(increment("during-" + i)));
        }
        int failed = 0;
        for (ListenableFuture<CounterValue> call : calls) {
          try {
            call.get();
            acked++;
          } catch (ExecutionException e) {
            Status s = Status.fromThrowable(e.getCause());
            assertThat(s.getCode()).as(s.toString()).isEqualTo(fault.code);
            assertThat(s.getDescription()).contains(fault.rocksMessage);
            failed++;
          }
        }
        assertThat(failed).as("writes failed once the disk did").isPositive();

        await().atMost(Duration.ofSeconds(10)).until(() -> servingStatus(health) == ServingStatus.NOT_SERVING);
        HttpResponse<String> down = get(node.metricsPort(), "/health");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body()).startsWith("NOT_SERVING: ").contains(fault.summary, fault.rocksMessage);
        assertThat(get(node.metricsPort(), "/metrics").body()).containsPattern("tally_store_healthy\\{[^}]*} 0");

        // Refused up front while the store is down, naming the cause.
        StatusRuntimeException refused = catchThrowableOfType(
            () -> stub.increment(increment("while-down")), StatusRuntimeException.class);
        assertThat(refused.getStatus().getCode()).isEqualTo(fault.code);
        assertThat(refused.getStatus().getDescription())
            .contains("cannot store writes", fault.summary, fault.rocksMessage, "nothing was applied");
        // Reads go on, and show exactly what was acknowledged.
        assertThat(stub.get(GetRequest.newBuilder().setKey("k").build()).getValue()).isEqualTo(acked);

        disk.fault = null;
        await().atMost(Duration.ofSeconds(15)).until(() -> servingStatus(health) == ServingStatus.SERVING);
        HttpResponse<String> up = get(node.metricsPort(), "/health");
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).isEqualTo("SERVING\n");
        assertThat(get(node.metricsPort(), "/metrics").body()).containsPattern("tally_store_healthy\\{[^}]*} 1");
        stub.increment(increment("after"));
        acked++;
        assertThat(stub.get(GetRequest.newBuilder().setKey("k").build()).getValue()).isEqualTo(acked);
      } finally {
        TestNodes.shutdown(channel);
      }
    }

    try (TallyNode restarted = TallyNode.start(config)) {
      ManagedChannel channel = TestNodes.channel(restarted);
      try {
        assertThat(TestNodes.blocking(channel).get(GetRequest.newBuilder().setKey("k").build()).getValue())
            .as("acknowledged increments after a restart").isEqualTo(acked);
      } finally {
        TestNodes.shutdown(channel);
      }
    }
  }

  private static IncrementRequest increment(String requestId) {
    return IncrementRequest.newBuilder().setKey("k").setRequestId(requestId).build();
  }

  private static ServingStatus servingStatus(HealthGrpc.HealthBlockingStub health) {
    return health.withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.newBuilder().build()).getStatus();
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
