package dev.tally.node.bench;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A target in memory: answers every call after {@code delayMillis} on its own thread (never inline,
 * as a network would), failing every {@code failEvery}-th call with {@code UNAVAILABLE}.
 */
final class FakeTarget implements LoadTarget {
  final AtomicLong calls = new AtomicLong();
  final List<String> keysSeen = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService io = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "fake-target-io");
    t.setDaemon(true);
    return t;
  });
  private final long delayMillis;
  private final int failEvery;
  volatile boolean recordKeys;

  FakeTarget(long delayMillis, int failEvery) {
    this.delayMillis = delayMillis;
    this.failEvery = failEvery;
  }

  @Override
  public String kind() {
    return "fake";
  }

  @Override
  public String describe() {
    return "fake target";
  }

  private void answer(String key, Completion done) {
    long n = calls.incrementAndGet();
    if (recordKeys) {
      keysSeen.add(key);
    }
    String error = failEvery > 0 && n % failEvery == 0 ? "UNAVAILABLE" : null;
    io.schedule(() -> done.done(error), delayMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void get(int lane, String key, Completion done) {
    answer(key, done);
  }

  @Override
  public void increment(int lane, String key, Completion done) {
    answer(key, done);
  }

  @Override
  public void incrementMany(int lane, String[] keys, Completion done) {
    answer(keys[0], done);
  }

  @Override
  public void close() {
    io.shutdownNow();
  }
}
