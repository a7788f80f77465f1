package dev.tally.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.AdminServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.ExportRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.gossip.digest.KeyHash;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AdminService.Export on a real node: order, prefix, start_after, limit, validation, which threads
 * read, flow control (a client that does not read stops the node's reading) and the running-export
 * limit, which cancelled exports give back.
 */
class ExportTest {
  @TempDir
  static Path dir;

  static TallyNode node;
  static ManagedChannel channel;
  /** A node with {@link #BIG_KEYS} keys of ~3 KB: more than a 64 KiB window holds. */
  static TallyNode big;
  static final int BIG_KEYS = 1500;
  static final AtomicLong bigReads = new AtomicLong();
  static final AtomicLong exportReads = new AtomicLong();
  static final Set<String> readingThreads = ConcurrentHashMap.newKeySet();
  /** key -> value as written. */
  static final Map<String, Long> written = new TreeMap<>();

  /** Export order: unsigned murmur3 of the key's UTF-8, then the bytes unsigned. */
  static final Comparator<String> EXPORT_ORDER = Comparator
      .comparingLong((String k) -> Integer.toUnsignedLong(KeyHash.murmur3(k.getBytes(StandardCharsets.UTF_8))))
      .thenComparing((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));

  @BeforeAll
  static void start() {
    node = TallyNode.start(TestNodes.config(dir.resolve("data")), TallyNode.Options.defaults()
        .withStoreReadHook(what -> {
          if (what.equals("export")) {
            exportReads.incrementAndGet();
            readingThreads.add(Thread.currentThread().getName());
          }
        }));
    channel = TestNodes.channel(node);
    IncrementManyRequest.Builder batch = IncrementManyRequest.newBuilder();
    for (int i = 0; i < 300; i++) {
      String key = (i % 3 == 0 ? "likes:" : i % 3 == 1 ? "views:" : "ключ-") + i;
      long amount = i % 7 == 0 ? -i - 1 : i + 1;
      written.put(key, amount);
      batch.addItems(IncrementManyRequest.Item.newBuilder().setKey(key).setAmount(amount));
    }
    TestNodes.blocking(channel).incrementMany(batch.build());

    big = TallyNode.start(TestNodes.config(dir.resolve("big")), TallyNode.Options.defaults()
        .withStoreReadHook(what -> {
          if (what.equals("export")) {
            bigReads.incrementAndGet();
          }
        }));
    ManagedChannel ch = TestNodes.channel(big);
    String pad = "x".repeat(3000);
    for (int from = 0; from < BIG_KEYS; from += 100) {
      IncrementManyRequest.Builder b = IncrementManyRequest.newBuilder();
      for (int i = from; i < from + 100; i++) {
        b.addItems(IncrementManyRequest.Item.newBuilder().setKey("big:" + i + ":" + pad).setAmount(i + 1));
      }
      TestNodes.blocking(ch).incrementMany(b.build());
    }
    TestNodes.shutdown(ch);
  }

  /** A channel to {@link #big} whose HTTP/2 window is 64 KiB, so a client that does not read stops the stream soon. */
  static ManagedChannel smallWindow() {
    return NettyChannelBuilder.forAddress("127.0.0.1", big.clientPort()).usePlaintext().flowControlWindow(65_535).build();
  }

  @AfterAll
  static void stop() {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
    if (big != null) {
      big.close();
    }
  }

  static List<CounterValue> export(ExportRequest req) {
    List<CounterValue> out = new ArrayList<>();
    AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).export(req).forEachRemaining(out::add);
    return out;
  }

  static List<String> keys(List<CounterValue> values) {
    return values.stream().map(CounterValue::getKey).toList();
  }

  @Test
  void export_everyCounterWithItsValueAndTime_inExportOrder() {
    List<CounterValue> all = export(ExportRequest.getDefaultInstance());

    assertThat(keys(all)).containsExactlyElementsOf(written.keySet().stream().sorted(EXPORT_ORDER).toList());
    for (CounterValue v : all) {
      assertThat(v.getValue()).as(v.getKey()).isEqualTo(written.get(v.getKey()));
      assertThat(v.hasUpdatedAt()).as(v.getKey()).isTrue();
    }
    assertThat(readingThreads).isNotEmpty().allSatisfy(t -> assertThat(t).startsWith("tally-read-"));
  }

  @Test
  void export_prefix_onlyItsKeys() {
    List<CounterValue> likes = export(ExportRequest.newBuilder().setPrefix("likes:").build());

    assertThat(keys(likes)).containsExactlyElementsOf(
        written.keySet().stream().filter(k -> k.startsWith("likes:")).sorted(EXPORT_ORDER).toList());
    assertThat(export(ExportRequest.newBuilder().setPrefix("nothing-here:").build())).isEmpty();
  }

  @Test
  void export_limitAndStartAfter_resumeWhereTheLastPageEnded() {
    List<String> pages = new ArrayList<>();
    String after = "";
    int calls = 0;
    while (true) {
      List<CounterValue> page = export(ExportRequest.newBuilder().setStartAfter(after).setLimit(70).build());
      calls++;
      assertThat(page.size()).isLessThanOrEqualTo(70);
      if (page.isEmpty()) {
        break;
      }
      pages.addAll(keys(page));
      after = page.get(page.size() - 1).getKey();
    }

    assertThat(calls).isEqualTo(6); // 70 + 70 + 70 + 70 + 20, then an empty page
    assertThat(pages).containsExactlyElementsOf(keys(export(ExportRequest.getDefaultInstance())));
  }

  @Test
  void export_startAfterAKeyNeverWritten_startsAtItsPlaceInTheOrder() {
    String absent = "likes:absent";
    List<String> expected = written.keySet().stream().sorted(EXPORT_ORDER)
        .filter(k -> EXPORT_ORDER.compare(k, absent) > 0).toList();

    assertThat(keys(export(ExportRequest.newBuilder().setStartAfter(absent).build()))).containsExactlyElementsOf(expected);
  }

  @Test
  void export_badInput_isInvalidArgumentNamingTheField() {
    assertThatThrownBy(() -> export(ExportRequest.newBuilder().setLimit(-1).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("limit must be >= 0");
        });
    assertThatThrownBy(() -> export(ExportRequest.newBuilder().setPrefix("p".repeat(4097)).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("prefix is 4097 bytes; the limit is 4096");
        });
  }

  /** An export call whose client asks for {@code initial} messages and then reads only when told. */
  static final class SlowReader {
    final ClientCall<ExportRequest, CounterValue> call;
    final List<CounterValue> received = new CopyOnWriteArrayList<>();
    volatile Status closed;

    SlowReader(ManagedChannel ch, ExportRequest req, int initial) {
      call = ch.newCall(AdminServiceGrpc.getExportMethod(), CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(CounterValue message) {
          received.add(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          closed = status;
        }
      }, new Metadata());
      if (initial > 0) {
        call.request(initial);
      }
      call.sendMessage(req);
      call.halfClose();
    }
  }

  /** True once {@code value} read the same, above 0, at three polls in a row. */
  static boolean settled(AtomicLong value, long[] last, int[] same) {
    long now = value.get();
    same[0] = now > 0 && now == last[0] ? same[0] + 1 : 0;
    last[0] = now;
    return same[0] >= 3;
  }

  @Test
  void export_clientThatDoesNotRead_nodeStopsReadingItsStore() {
    // A node that kept pulling would read all 1500 keys (4.5 MB) into its buffers.
    ManagedChannel ch = smallWindow();
    try {
      bigReads.set(0);
      SlowReader reader = new SlowReader(ch, ExportRequest.getDefaultInstance(), 1);
      long[] last = {-1};
      int[] same = {0};
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> settled(bigReads, last, same));

      long pulledWhileBlocked = bigReads.get();
      System.out.println("export reads while the client read 1 of " + BIG_KEYS + ": " + pulledWhileBlocked);
      assertThat(reader.received).hasSize(1);
      assertThat(pulledWhileBlocked).isLessThan(BIG_KEYS / 4);
      assertThat(reader.closed).isNull();

      reader.call.request(Integer.MAX_VALUE);
      await().atMost(Duration.ofSeconds(60)).until(() -> reader.closed != null);
      assertThat(reader.closed.isOk()).as(String.valueOf(reader.closed)).isTrue();
      assertThat(reader.received).hasSize(BIG_KEYS);
      assertThat(reader.received.stream().mapToLong(CounterValue::getValue).sum())
          .isEqualTo((long) BIG_KEYS * (BIG_KEYS + 1) / 2);
      assertThat(bigReads.get()).isEqualTo(BIG_KEYS + 1); // every counter once, and the read that found the end
    } finally {
      TestNodes.shutdown(ch);
    }
  }

  @Test
  void export_moreThanTheLimitAtOnce_isResourceExhausted_andCancelledExportsFreeTheirSlots() {
    ManagedChannel ch = smallWindow();
    try {
      List<SlowReader> running = new ArrayList<>();
      for (int i = 0; i < AdminServiceImpl.MAX_EXPORTS; i++) {
        running.add(new SlowReader(ch, ExportRequest.getDefaultInstance(), 1));
      }
      // Each of the four has its first counter, so each holds a slot (and stalls behind the window).
      await().atMost(Duration.ofSeconds(10)).until(() -> running.stream().allMatch(r -> r.received.size() == 1));
      SlowReader fifth = new SlowReader(ch, ExportRequest.getDefaultInstance(), 10);
      await().atMost(Duration.ofSeconds(10)).until(() -> fifth.closed != null);
      assertThat(fifth.closed.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(fifth.closed.getDescription()).contains("runs " + AdminServiceImpl.MAX_EXPORTS + " exports already");
      assertThat(running).allSatisfy(r -> assertThat(r.closed).isNull());

      running.forEach(r -> r.call.cancel("test done", null));

      // Every slot comes back: four exports at once run to their end.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        List<SlowReader> again = new ArrayList<>();
        for (int i = 0; i < AdminServiceImpl.MAX_EXPORTS; i++) {
          again.add(new SlowReader(ch, ExportRequest.newBuilder().setLimit(3).build(), 10));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> again.stream().allMatch(r -> r.closed != null));
        assertThat(again).allSatisfy(r -> {
          assertThat(r.closed.isOk()).as(String.valueOf(r.closed)).isTrue();
          assertThat(r.received).hasSize(3);
        });
      });
    } finally {
      TestNodes.shutdown(ch);
    }
  }
}
