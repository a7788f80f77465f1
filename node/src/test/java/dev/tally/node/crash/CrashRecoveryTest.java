package dev.tally.node.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.testing.NodeProcess;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged means durable, and a retried request id never counts twice, across a SIGKILL.
 *
 * <p>A node runs in its own JVM; 32 concurrent clients send increments with unique request ids
 * (random keys and amounts from a seed: replay with {@code -Dtally.crash.seed=N}). Once enough are
 * acknowledged, the node is SIGKILLed mid-load, restarted on the same data dir, and checked:
 * every acknowledged increment is there, nothing beyond what was sent is; retrying every
 * unacknowledged id makes the count exact; re-sending acknowledged ids returns their original
 * results and counts nothing.
 */
class CrashRecoveryTest {
  private static final int CLIENTS = 32;
  private static final int KEYS = 8;
  private static final int ACKS_BEFORE_KILL = 2000;

  @TempDir
  Path tmp;

  private NodeProcess node;
  private ManagedChannel channel;

  private record Sent(String id, String key, long amount) {}

  @AfterEach
  void cleanUp() {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  @Test
  void sigkillMidLoad_keepsEveryAcknowledgedIncrementAndRetriesNeverCountTwice() throws Exception {
    long seed = Long.getLong("tally.crash.seed", System.nanoTime());
    System.out.println("CrashRecoveryTest SEED=" + seed + " (replay with -Dtally.crash.seed=" + seed + ")");
    Path data = tmp.resolve("data");
    Path log = tmp.resolve("node.log");
    node = NodeProcess.start(data, log);
    channel = TestNodes.channel(node.port());

    Map<String, CounterValue> acked = new ConcurrentHashMap<>();
    Map<String, Sent> sent = new ConcurrentHashMap<>();
    Map<String, Sent> failed = new ConcurrentHashMap<>();
    AtomicInteger running = new AtomicInteger(CLIENTS);
    CounterServiceGrpc.CounterServiceStub async = CounterServiceGrpc.newStub(channel);
    for (int c = 0; c < CLIENTS; c++) {
      new LoadClient(c, new SplittableRandom(seed + c), async, sent, acked, failed, running).next();
    }

    await().atMost(Duration.ofSeconds(120)).until(() -> acked.size() >= ACKS_BEFORE_KILL);
    node.kill();
    await().atMost(Duration.ofSeconds(60)).until(() -> running.get() == 0);
    TestNodes.shutdown(channel);
    System.out.printf("sent %d, acknowledged %d, unacknowledged %d at the kill%n", sent.size(), acked.size(),
        failed.size());
    assertThat(failed).as("some requests were in flight at the kill").isNotEmpty();
    assertThat(acked.size() + failed.size()).isEqualTo(sent.size());

    node = NodeProcess.start(data, log);
    channel = TestNodes.channel(node.port());
    CounterServiceGrpc.CounterServiceBlockingStub stub = TestNodes.blocking(channel);

    Map<String, Long> ackedSum = sums(sent, acked.keySet());
    Map<String, Long> unackedSum = sums(sent, failed.keySet());
    for (int k = 0; k < KEYS; k++) {
      String key = key(k);
      long value = stub.get(GetRequest.newBuilder().setKey(key).build()).getValue();
      assertThat(value).as("%s holds every acknowledged increment", key).isGreaterThanOrEqualTo(ackedSum.getOrDefault(key, 0L));
      assertThat(value).as("%s holds nothing that was not sent", key)
          .isLessThanOrEqualTo(ackedSum.getOrDefault(key, 0L) + unackedSum.getOrDefault(key, 0L));
    }

    // Retry every unacknowledged request id until acknowledged: the count becomes exact.
    for (Sent s : failed.values()) {
      stub.increment(request(s));
    }
    Map<String, Long> total = sums(sent, sent.keySet());
    for (int k = 0; k < KEYS; k++) {
      String key = key(k);
      assertThat(stub.get(GetRequest.newBuilder().setKey(key).build()).getValue())
          .as("%s after retries", key).isEqualTo(total.getOrDefault(key, 0L));
    }

    // Re-sending acknowledged ids returns their original results and counts nothing.
    for (Map.Entry<String, CounterValue> e : acked.entrySet()) {
      assertThat(stub.increment(request(sent.get(e.getKey())))).as(e.getKey()).isEqualTo(e.getValue());
    }
    for (int k = 0; k < KEYS; k++) {
      String key = key(k);
      assertThat(stub.get(GetRequest.newBuilder().setKey(key).build()).getValue()).isEqualTo(total.getOrDefault(key, 0L));
    }

    TestNodes.shutdown(channel);
    channel = null;
    assertThat(node.terminate()).as("graceful exit on SIGTERM").isIn(0, 143);
  }

  private static String key(int k) {
    return "crash-" + k;
  }

  private static IncrementRequest request(Sent s) {
    return IncrementRequest.newBuilder().setKey(s.key()).setAmount(s.amount()).setRequestId(s.id()).build();
  }

  private static Map<String, Long> sums(Map<String, Sent> sent, java.util.Set<String> ids) {
    Map<String, Long> out = new HashMap<>();
    for (String id : ids) {
      Sent s = sent.get(id);
      out.merge(s.key(), s.amount(), Long::sum);
    }
    return out;
  }

  /** One client: one request in flight at a time, the next sent from the previous one's reply. */
  private static final class LoadClient {
    private final int id;
    private final SplittableRandom random;
    private final CounterServiceGrpc.CounterServiceStub stub;
    private final Map<String, Sent> sent;
    private final Map<String, CounterValue> acked;
    private final Map<String, Sent> failed;
    private final AtomicInteger running;
    private int seq;

    LoadClient(int id, SplittableRandom random, CounterServiceGrpc.CounterServiceStub stub, Map<String, Sent> sent,
        Map<String, CounterValue> acked, Map<String, Sent> failed, AtomicInteger running) {
      this.id = id;
      this.random = random;
      this.stub = stub;
      this.sent = sent;
      this.acked = acked;
      this.failed = failed;
      this.running = running;
    }

    void next() {
      Sent s = new Sent("c" + id + "-" + seq++, key(random.nextInt(KEYS)), 1 + random.nextInt(5));
      sent.put(s.id(), s);
      stub.withDeadlineAfter(30, TimeUnit.SECONDS).increment(request(s), new StreamObserver<>() {
        @Override
        public void onNext(CounterValue value) {
          acked.put(s.id(), value);
        }

        @Override
        public void onError(Throwable t) {
          // The node died (or the deadline passed): unknown whether it was applied.
          failed.put(s.id(), s);
          Status.Code code = Status.fromThrowable(t).getCode();
          if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED
              && code != Status.Code.CANCELLED) {
            System.out.println("unexpected failure of " + s + ": " + t);
          }
          running.decrementAndGet();
        }

        @Override
        public void onCompleted() {
          next();
        }
      });
    }
  }
}
