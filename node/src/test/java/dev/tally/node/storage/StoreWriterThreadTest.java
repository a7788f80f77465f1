package dev.tally.node.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.gossip.store.StoreException;
import dev.tally.node.storage.StoreWriterThread.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The order, combining and failure rules of the store's one writer thread. */
class StoreWriterThreadTest {
  /** Every write the fake disk took: the names of the batches in it, in order. */
  private final List<List<String>> writes = new CopyOnWriteArrayList<>();
  private final List<String> released = new CopyOnWriteArrayList<>();
  /** When set, the next write fails with it (nothing written). */
  private final AtomicReference<String> failNext = new AtomicReference<>();
  private final StoreWriterThread writer = new StoreWriterThread("test-writer", batches -> {
    String failure = failNext.getAndSet(null);
    if (failure != null) {
      throw new StoreException(failure);
    }
    List<String> names = new ArrayList<>();
    batches.forEach(b -> names.add(((Named) b).name));
    writes.add(names);
    return 1L;
  });

  private final class Named implements StoreWriterThread.Batch {
    final String name;

    Named(String name) {
      this.name = name;
    }

    @Override
    public int counters() {
      return 1;
    }

    @Override
    public void release() {
      released.add(name);
    }
  }

  @AfterEach
  void close() {
    writer.close();
  }

  private CompletableFuture<Long> submit(Kind kind, String name) {
    return writer.submitBatch(kind, new Named(name));
  }

  /** Holds the writer thread (with a task) until the returned latch is released. */
  private CountDownLatch hold() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch holding = new CountDownLatch(1);
    writer.submitTask(() -> {
      holding.countDown();
      return release.await(10, TimeUnit.SECONDS);
    });
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    return release;
  }

  private static void assertFails(CompletableFuture<?> f) {
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(StoreException.class);
  }

  @Test
  void batchesQueuedTogether_areWrittenAsOneWriteInTheOrderHandedOver() throws Exception {
    CountDownLatch release = hold();
    List<CompletableFuture<Long>> all = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      all.add(submit(i % 2 == 0 ? Kind.DEPENDENT : Kind.ORDERED, "w" + i));
    }
    release.countDown();
    for (CompletableFuture<Long> f : all) {
      f.get(10, TimeUnit.SECONDS);
    }

    assertThat(writes).containsExactly(List.of("w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9"));
    assertThat(released).hasSize(10);
  }

  @Test
  void aTask_isNeverCombined_andRunsInItsTurn() throws Exception {
    CountDownLatch release = hold();
    CompletableFuture<Long> a = submit(Kind.DEPENDENT, "a");
    CompletableFuture<Integer> task = writer.submitTask(() -> writes.size());
    CompletableFuture<Long> b = submit(Kind.DEPENDENT, "b");
    release.countDown();

    assertThat(task.get(10, TimeUnit.SECONDS)).as("the task ran after a's write").isEqualTo(1);
    b.get(10, TimeUnit.SECONDS);
    a.get(10, TimeUnit.SECONDS);
    assertThat(writes).containsExactly(List.of("a"), List.of("b"));
  }

  @Test
  void failedDependentWrite_skipsEveryBatchQueuedBehindItUntilCleared() throws Exception {
    CountDownLatch release = hold();
    failNext.set("injected: disk full");
    CompletableFuture<Long> group1 = submit(Kind.DEPENDENT, "group1");
    CountDownLatch release2 = new CountDownLatch(1);
    writer.submitTask(() -> release2.await(10, TimeUnit.SECONDS)); // keeps group1 alone in its write
    CompletableFuture<Long> group2 = submit(Kind.DEPENDENT, "group2");
    CompletableFuture<Long> merge = submit(Kind.ORDERED, "merge");
    release.countDown();
    assertFails(group1);
    release2.countDown();

    assertFails(group2);
    assertFails(merge);
    assertThat(writes).isEmpty();
    assertThat(released).containsExactlyInAnyOrder("group1", "group2", "merge");
    // Still skipping until the submitter has dropped what was built on the failure.
    assertFails(submit(Kind.ORDERED, "before-clear"));

    writer.clearFailure();

    assertThat(submit(Kind.DEPENDENT, "group3").get(10, TimeUnit.SECONDS)).isEqualTo(1L);
    assertThat(writes).containsExactly(List.of("group3"));
  }

  @Test
  void clearFailure_twiceAfterOneFailure_doesNotSkipBatchesHandedOverAfterTheFirstClear() throws Exception {
    CountDownLatch release = hold();
    failNext.set("injected");
    CompletableFuture<Long> failed = submit(Kind.DEPENDENT, "group1");
    release.countDown();
    assertFails(failed);
    writer.clearFailure(); // the submitter handles group1's failure ...
    CountDownLatch release2 = hold();
    CompletableFuture<Long> group3 = submit(Kind.DEPENDENT, "group3");
    writer.clearFailure(); // ... and, say, a second report of it, while group3 (clean) is queued
    release2.countDown();

    assertThat(group3.get(10, TimeUnit.SECONDS)).isEqualTo(1L);
  }

  @Test
  void orderedFailure_failsItsWriteButSkipsNothingAfter() throws Exception {
    CountDownLatch release = hold();
    failNext.set("injected");
    CompletableFuture<Long> merge = submit(Kind.ORDERED, "merge");
    CountDownLatch release2 = new CountDownLatch(1);
    writer.submitTask(() -> release2.await(10, TimeUnit.SECONDS));
    CompletableFuture<Long> group = submit(Kind.DEPENDENT, "group");
    release.countDown();
    assertFails(merge);
    release2.countDown();

    assertThat(group.get(10, TimeUnit.SECONDS)).isEqualTo(1L);
    assertThat(writes).containsExactly(List.of("group"));
  }

  @Test
  void submit_afterClose_failsWithoutWriting() {
    writer.close();
    CompletableFuture<Long> late = submit(Kind.DEPENDENT, "late");

    assertFails(late);
    assertThat(released).containsExactly("late");
    assertThat(writes).isEmpty();
  }

  @Test
  void close_writesWhatIsQueuedFirst() throws Exception {
    CountDownLatch release = hold();
    CompletableFuture<Long> queued = submit(Kind.DEPENDENT, "queued");
    Thread closer = new Thread(writer::close);
    closer.start();
    release.countDown();
    closer.join(10_000);

    assertThat(queued).isCompleted();
    assertThat(writes).containsExactly(List.of("queued"));
  }
}
