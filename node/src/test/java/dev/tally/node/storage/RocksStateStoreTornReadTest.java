package dev.tally.node.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.node.config.Durability;
import dev.tally.node.testing.ManualClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers racing one writer on one hot key must only ever see whole states (issue 11, defect 7).
 *
 * <p>Every state the writer stores has the same shape and encoded size (so RocksDB's in-place
 * memtable update, if enabled, overwrites it byte for byte): {@value #ENTRIES} entries whose P is
 * {@code BASE + version} and whose N is {@code BASE}. A torn read mixes two versions' bytes and
 * shows up as entries with different P values, or as a value that cannot be decoded at all. Each
 * reader also checks that the version never goes backwards.
 */
class RocksStateStoreTornReadTest {
  private static final int ENTRIES = 64;
  /** Every P and N a 9-byte varint, so each version encodes to exactly the same size. */
  private static final long BASE = 1L << 60;
  private static final long UPDATED_AT = 1_700_000_000_000L;
  private static final String KEY = "hot";
  private static final long RUN_MILLIS = 3_000;

  @TempDir
  Path dir;

  @Test
  void concurrentReaders_ofAKeyBeingRewritten_onlySeeWholeStatesThatNeverGoBack() throws Exception {
    List<String> problems = new ArrayList<>();
    AtomicLong reads = new AtomicLong();
    long written;
    try (RocksStateStore store = RocksStateStore.open(dir, "c", Durability.ASYNC, new ManualClock(UPDATED_AT))) {
      store.write(List.of(new KeyState(KEY, version(0))), StoreAttachment.NONE);
      AtomicBoolean stop = new AtomicBoolean();
      ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
      CountDownLatch started = new CountDownLatch(2);
      List<Thread> readers = List.of(
          reader("scan-reader", started, stop, reads, seen, () -> {
            List<PnCounter> out = new ArrayList<>(1);
            store.scanAll(ks -> out.add(ks.state()));
            return out.get(0);
          }),
          reader("get-reader", started, stop, reads, seen, () -> store.get(KEY)));
      readers.forEach(Thread::start);
      started.await();
      long v = 0;
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_MILLIS);
      // This thread is the store's one submitter, as the replica thread is in the node.
      while (System.nanoTime() < deadline && seen.isEmpty()) {
        v++;
        store.write(List.of(new KeyState(KEY, version(v))), StoreAttachment.NONE);
      }
      written = v;
      stop.set(true);
      for (Thread t : readers) {
        t.join(10_000);
      }
      problems.addAll(seen);
    }

    assertThat(written).as("versions written").isGreaterThan(1_000);
    assertThat(reads.get()).as("reads made").isGreaterThan(1_000);
    assertThat(problems).as("torn or backward reads").isEmpty();
  }

  /** Version {@code v}: every entry's P is BASE + v, N is BASE. */
  private static PnCounter version(long v) {
    List<PnCounter.Entry> entries = new ArrayList<>(ENTRIES);
    for (int r = 1; r <= ENTRIES; r++) {
      entries.add(new PnCounter.Entry(r, BASE + v, BASE, UPDATED_AT));
    }
    return PnCounter.of(entries);
  }

  @FunctionalInterface
  private interface Read {
    PnCounter read();
  }

  private static Thread reader(String name, CountDownLatch started, AtomicBoolean stop, AtomicLong reads,
      ConcurrentLinkedQueue<String> problems, Read read) {
    Thread t = new Thread(() -> {
      started.countDown();
      long last = -1;
      while (!stop.get() && problems.isEmpty()) {
        PnCounter s;
        try {
          s = read.read();
        } catch (RuntimeException e) {
          problems.add(name + ": read failed: " + e);
          return;
        }
        reads.incrementAndGet();
        String bad = check(s, last);
        if (bad != null) {
          problems.add(name + ": " + bad);
          return;
        }
        last = s.p(1) - BASE;
      }
    }, name);
    t.setDaemon(true);
    return t;
  }

  /** Null when {@code s} is a whole version not older than {@code last}, else what is wrong. */
  private static String check(PnCounter s, long last) {
    if (s.size() != ENTRIES) {
      return "state has " + s.size() + " entries, expected " + ENTRIES + ": " + s;
    }
    long p = s.p(1);
    for (int r = 1; r <= ENTRIES; r++) {
      if (s.p(r) != p || s.n(r) != BASE || s.entryAt(r - 1).updatedAtMillis() != UPDATED_AT) {
        return "entries of different versions in one state (torn read): entry " + r + " has P " + s.p(r)
            + ", N " + s.n(r) + ", entry 1 has P " + p;
      }
    }
    if (p - BASE < last) {
      return "version went back from " + last + " to " + (p - BASE);
    }
    return null;
  }
}
