package dev.tally.node.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.gossip.store.StoreException;
import dev.tally.node.storage.StoreWriterThread.Kind;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The order and failure rules of the store's one writer thread. */
class StoreWriterThreadTest {
  private final StoreWriterThread writer = new StoreWriterThread("test-writer");
  private final List<String> ran = new CopyOnWriteArrayList<>();
  private final List<String> skipped = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    writer.close();
  }

  private CompletableFuture<String> submit(Kind kind, String name) {
    return writer.submit(kind, () -> {
      ran.add(name);
      return name;
    }, () -> skipped.add(name));
  }

  private CompletableFuture<String> failing(Kind kind, String name) {
    return writer.submit(kind, () -> {
      throw new StoreException("injected failure of " + name);
    }, () -> skipped.add(name));
  }

  /** Holds the writer thread until the returned latch is released. */
  private CountDownLatch hold() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch holding = new CountDownLatch(1);
    writer.submit(Kind.INDEPENDENT, () -> {
      holding.countDown();
      return release.await(10, TimeUnit.SECONDS);
    }, () -> {});
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    return release;
  }

  private static void assertFails(CompletableFuture<String> f) {
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(StoreException.class);
  }

  @Test
  void submit_runsWritesInTheOrderHandedOver() throws Exception {
    CountDownLatch release = hold();
    for (int i = 0; i < 50; i++) {
      submit(i % 2 == 0 ? Kind.DEPENDENT : Kind.ORDERED, "w" + i);
    }
    release.countDown();
    submit(Kind.ORDERED, "last").get(10, TimeUnit.SECONDS);

    assertThat(ran).hasSize(51);
    for (int i = 0; i < 50; i++) {
      assertThat(ran.get(i)).isEqualTo("w" + i);
    }
  }

  @Test
  void dependentFailure_skipsEveryWriteQueuedBehindItUntilCleared() throws Exception {
    CountDownLatch release = hold();
    CompletableFuture<String> failed = failing(Kind.DEPENDENT, "group1");
    CompletableFuture<String> group2 = submit(Kind.DEPENDENT, "group2");
    CompletableFuture<String> merge = submit(Kind.ORDERED, "merge");
    CompletableFuture<String> sweep = submit(Kind.INDEPENDENT, "sweep");
    release.countDown();

    assertFails(failed);
    assertFails(group2);
    assertFails(merge);
    assertThat(sweep.get(10, TimeUnit.SECONDS)).isEqualTo("sweep");
    assertThat(skipped).containsExactly("group2", "merge");
    // Still skipping until the submitter has dropped what was built on the failure.
    assertFails(submit(Kind.ORDERED, "before-clear"));

    writer.clearFailure();

    assertThat(submit(Kind.DEPENDENT, "group3").get(10, TimeUnit.SECONDS)).isEqualTo("group3");
    assertThat(ran).containsExactly("sweep", "group3");
  }

  @Test
  void clearFailure_twiceAfterOneFailure_doesNotSkipWritesHandedOverAfterTheFirstClear() throws Exception {
    CountDownLatch release = hold();
    CompletableFuture<String> failed = failing(Kind.DEPENDENT, "group1");
    CompletableFuture<String> group2 = submit(Kind.DEPENDENT, "group2");
    release.countDown();
    assertFails(failed);
    writer.clearFailure(); // the submitter handles group1's failure ...
    CountDownLatch release2 = hold();
    CompletableFuture<String> group3 = submit(Kind.DEPENDENT, "group3");
    assertFails(group2);
    writer.clearFailure(); // ... then group2's, while group3 (clean) is queued
    release2.countDown();

    assertThat(group3.get(10, TimeUnit.SECONDS)).isEqualTo("group3");
  }

  @Test
  void orderedFailure_failsOnlyItself() throws Exception {
    CountDownLatch release = hold();
    CompletableFuture<String> merge = failing(Kind.ORDERED, "merge");
    CompletableFuture<String> group = submit(Kind.DEPENDENT, "group");
    release.countDown();

    assertFails(merge);
    assertThat(group.get(10, TimeUnit.SECONDS)).isEqualTo("group");
    assertThat(submit(Kind.ORDERED, "next").get(10, TimeUnit.SECONDS)).isEqualTo("next");
  }

  @Test
  void submit_afterClose_failsWithoutRunning() {
    writer.close();
    CompletableFuture<String> late = submit(Kind.DEPENDENT, "late");

    assertThatThrownBy(late::join).isInstanceOf(CompletionException.class).hasCauseInstanceOf(StoreException.class);
    assertThat(skipped).containsExactly("late");
    assertThat(ran).isEmpty();
  }
}
