package dev.tally.node.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The one load generator behind {@code tally bench}: the same loop, keys and timing for every
 * {@link LoadTarget}, so a comparison measures the servers.
 *
 * <p>Closed loop (no rate): {@code concurrency} callers, each sending its next call from the
 * completion of the previous one, as fast as the server answers; latency runs from the send.
 * Open loop ({@code rate} > 0): one sender thread sends call i at its intended time
 * {@code start + i / rate}, whatever the server is doing, and latency runs from that intended time,
 * so a stall shows as latency of every call it delayed instead of hiding as fewer calls
 * (coordinated omission). At most {@code concurrency} calls are in flight; a call that has to wait
 * for one to finish keeps its intended time.
 *
 * <p>A run: optional prefill (every reachable key once, so reads find values), warm-up (measured
 * and thrown away), then the measured interval. Calls still in flight at the end count toward
 * latency but not throughput. Failed calls are counted by code and left out of the latencies; a
 * closed-loop caller waits 1 ms after a failure, so a refusing server is not spun against.
 *
 * <h2>Threads</h2>
 *
 * <ul>
 *   <li>The caller of {@link #run} collects: it alone reads the {@link Recorder}s (one per
 *       operation; any thread records), the error counters and the phase histograms, and calls
 *       the progress listener, once a second.
 *   <li>Completions run on the target's I/O threads: they record, then (closed loop) send the
 *       caller's next call. A closed-loop caller's fields are touched by one call at a time.
 *   <li>Open loop: the sender thread owns its random and the send schedule.
 *   <li>A scheduler thread re-sends after the 1 ms failure pause.
 * </ul>
 */
final class LoadGenerator {

  /** Told once a second, on the collecting thread. */
  @FunctionalInterface
  interface ProgressListener {
    void onProgress(Progress progress);
  }

  private static final long HIGHEST_NANOS = TimeUnit.HOURS.toNanos(1);
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final long FAILURE_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final int PRECOMPUTED_KEYS = 1 << 20;
  private static final int PREFILL_CHUNK = 100;
  private static final int PREFILL_LANES = 8;

  private final LoadTarget target;
  private final LoadSettings s;
  private final ProgressListener progress;
  private final KeyPicker picker;
  private final String[] names;
  private final Map<Operation, Recorder> recorders = new EnumMap<>(Operation.class);
  private final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();
  /** Every successful call of the whole run (prefill aside), by operation: what the server must have counted. */
  private final Map<Operation, LongAdder> succeeded = new EnumMap<>(Operation.class);
  private final AtomicInteger activeCallers = new AtomicInteger();
  private final Semaphore openPermits;
  private final AtomicInteger lanes = new AtomicInteger();
  private volatile long stopAt;
  private volatile long notSent;
  private Runnable onMeasureStart = () -> {};

  LoadGenerator(LoadTarget target, LoadSettings settings, ProgressListener progress) {
    this.target = target;
    this.s = settings;
    this.progress = progress;
    this.picker = settings.distribution().picker(settings.keys());
    this.names = settings.keys() <= PRECOMPUTED_KEYS ? new String[settings.keys()] : null;
    if (names != null) {
      for (int i = 0; i < names.length; i++) {
        names[i] = settings.keyPrefix() + i;
      }
    }
    for (Operation op : Operation.values()) {
      recorders.put(op, new Recorder(HIGHEST_NANOS, 3));
      succeeded.put(op, new LongAdder());
    }
    this.openPermits = new Semaphore(settings.concurrency());
  }

  /** Runs on the collecting thread when the measured interval starts (after the warm-up). */
  LoadGenerator onMeasureStart(Runnable hook) {
    this.onMeasureStart = hook;
    return this;
  }

  /** Runs prefill, warm-up and the measured interval; returns when every call has finished or timed out. */
  BenchResult run() throws InterruptedException {
    checkReachable();
    if (s.prefill()) {
      prefill();
    }
    ScheduledExecutorService pauses = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-failure-pause");
      t.setDaemon(true);
      return t;
    });
    Thread sender = null;
    try {
      long start = System.nanoTime();
      long warmupEnd = start + s.warmup().toNanos();
      long end = warmupEnd + s.duration().toNanos();
      stopAt = end;
      if (s.openLoop()) {
        sender = new Thread(() -> sendOpenLoop(start), "bench-sender");
        sender.setDaemon(true);
        sender.start();
      } else {
        activeCallers.set(s.concurrency());
        for (int i = 0; i < s.concurrency(); i++) {
          new Caller(i, new SplittableRandom(s.seed() + i), pauses).send();
        }
      }
      return collect(start, warmupEnd, end, sender);
    } finally {
      stopAt = System.nanoTime();
      pauses.shutdownNow();
      if (sender != null) {
        sender.join(TimeUnit.SECONDS.toMillis(5));
      }
    }
  }

  // ---- phases ------------------------------------------------------------------------------

  private BenchResult collect(long start, long warmupEnd, long end, Thread sender) throws InterruptedException {
    Map<Operation, Histogram> phase = histograms();
    boolean warm = warmupEnd > start;
    long phaseStart = start;
    long measureStart = start;
    Map<String, Long> errorsAtStart = Map.of();
    long cpuAtStart = processCpuNanos();
    double loadAtStart = loadAverage();
    long lastTick = start;
    long nextTick = start + SECOND;
    long measureEnd;
    if (!warm) {
      onMeasureStart.run();
    }
    while (true) {
      long boundary = warm ? warmupEnd : end;
      parkUntil(Math.min(nextTick, boundary));
      long now = System.nanoTime();
      long intervalCalls = drainInto(phase);
      if (now - boundary >= 0) {
        if (warm) {
          warm = false;
          phase = histograms();
          phaseStart = now;
          measureStart = now;
          errorsAtStart = errorSnapshot();
          cpuAtStart = processCpuNanos();
          loadAtStart = loadAverage();
          lastTick = now;
          nextTick = now + SECOND;
          onMeasureStart.run();
          continue;
        }
        measureEnd = now;
        break;
      }
      if (now - nextTick >= 0) {
        report(warm, now - phaseStart, intervalCalls, now - lastTick, phase, warm ? Map.of() : errorsAtStart);
        lastTick = now;
        nextTick += SECOND;
      }
    }
    Map<String, Long> errorsAtEnd = errorSnapshot();
    long cpuAtEnd = processCpuNanos();
    double loadAtEnd = loadAverage();
    awaitInFlight(sender);
    Map<Operation, Histogram> tail = histograms();
    drainInto(tail);

    double seconds = (measureEnd - measureStart) / 1e9;
    Histogram all = new Histogram(3);
    Map<Operation, OperationResult> byOp = new EnumMap<>(Operation.class);
    long calls = 0;
    for (Operation op : Operation.values()) {
      Histogram h = phase.get(op);
      long opCalls = h.getTotalCount();
      if (opCalls == 0 && tail.get(op).getTotalCount() == 0 && !usedBy(op)) {
        continue;
      }
      calls += opCalls;
      h.add(tail.get(op));
      all.add(h);
      byOp.put(op, new OperationResult(op, opCalls, seconds <= 0 ? 0 : opCalls / seconds, LatencySummary.of(h)));
    }
    Map<String, Long> measuredErrors = new TreeMap<>();
    for (Map.Entry<String, Long> e : errorsAtEnd.entrySet()) {
      long d = e.getValue() - errorsAtStart.getOrDefault(e.getKey(), 0L);
      if (d > 0) {
        measuredErrors.put(e.getKey(), d);
      }
    }
    double cpuPerCall = cpuAtStart < 0 || cpuAtEnd < 0 || calls == 0 ? -1 : (cpuAtEnd - cpuAtStart) / 1e3 / calls;
    return new BenchResult(target.describe(), target.kind(), s, seconds, calls, LatencySummary.of(all), byOp,
        new TreeMap<>(measuredErrors), notSent, loadAtStart, loadAtEnd, Runtime.getRuntime().availableProcessors(),
        cpuPerCall, null);
  }

  private boolean usedBy(Operation op) {
    switch (s.workload()) {
      case GET:
        return op == Operation.GET;
      case INCR:
        return op == Operation.INCR;
      case BATCH:
        return op == Operation.BATCH;
      default:
        return (op == Operation.GET && s.readWeight() > 0) || (op == Operation.INCR && s.writeWeight() > 0);
    }
  }

  private void report(boolean warm, long phaseNanos, long intervalCalls, long intervalNanos,
      Map<Operation, Histogram> phase, Map<String, Long> errorsAtPhaseStart) {
    if (progress == null) {
      return;
    }
    Histogram all = new Histogram(3);
    phase.values().forEach(all::add);
    long errorCount = 0;
    for (Map.Entry<String, Long> e : errorSnapshot().entrySet()) {
      errorCount += e.getValue() - errorsAtPhaseStart.getOrDefault(e.getKey(), 0L);
    }
    progress.onProgress(new Progress(warm, Math.round(phaseNanos / 1e9), intervalCalls * 1e9 / Math.max(1, intervalNanos),
        all.getTotalCount() == 0 ? 0 : all.getValueAtPercentile(50) / 1e6,
        all.getTotalCount() == 0 ? 0 : all.getValueAtPercentile(99) / 1e6, errorCount));
  }

  private Map<Operation, Histogram> histograms() {
    Map<Operation, Histogram> m = new EnumMap<>(Operation.class);
    for (Operation op : Operation.values()) {
      m.put(op, new Histogram(HIGHEST_NANOS, 3));
    }
    return m;
  }

  /** Moves what every recorder holds into {@code into}; returns how many calls that was. */
  private long drainInto(Map<Operation, Histogram> into) {
    long n = 0;
    for (Operation op : Operation.values()) {
      Histogram interval = recorders.get(op).getIntervalHistogram();
      n += interval.getTotalCount();
      into.get(op).add(interval);
    }
    return n;
  }

  private void awaitInFlight(Thread sender) throws InterruptedException {
    if (sender != null) {
      sender.join(s.timeout().toMillis() + 5000);
    }
    long deadline = System.nanoTime() + s.timeout().toNanos() + 2 * SECOND;
    while (inFlight() > 0 && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  private int inFlight() {
    return s.openLoop() ? s.concurrency() - openPermits.availablePermits() : activeCallers.get();
  }

  private static void parkUntil(long deadline) throws InterruptedException {
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  private Map<String, Long> errorSnapshot() {
    Map<String, Long> m = new TreeMap<>();
    errors.forEach((code, n) -> m.put(code, n.sum()));
    return m;
  }

  // ---- calls -------------------------------------------------------------------------------

  private String key(SplittableRandom random) {
    int i = picker.next(random);
    return names != null ? names[i] : s.keyPrefix() + i;
  }

  private Operation nextOperation(SplittableRandom random) {
    switch (s.workload()) {
      case GET:
        return Operation.GET;
      case INCR:
        return Operation.INCR;
      case BATCH:
        return Operation.BATCH;
      default:
        return random.nextInt(s.readWeight() + s.writeWeight()) < s.readWeight() ? Operation.GET : Operation.INCR;
    }
  }

  private void send(int lane, Operation op, SplittableRandom random, LoadTarget.Completion done) {
    try {
      switch (op) {
        case GET -> target.get(lane, key(random), done);
        case INCR -> target.increment(lane, key(random), done);
        default -> {
          String[] keys = new String[s.batchSize()];
          for (int i = 0; i < keys.length; i++) {
            keys[i] = key(random);
          }
          target.incrementMany(lane, keys, done);
        }
      }
    } catch (RuntimeException e) {
      done.done(e.getClass().getSimpleName());
    }
  }

  private void recordError(String code) {
    errors.computeIfAbsent(code, c -> new LongAdder()).increment();
  }

  /** A closed-loop caller: one call in flight, the next sent from the completion of the last. */
  private final class Caller implements LoadTarget.Completion, Runnable {
    private final int lane;
    private final SplittableRandom random;
    private final ScheduledExecutorService pauses;
    private Operation op;
    private long sentAt;

    Caller(int lane, SplittableRandom random, ScheduledExecutorService pauses) {
      this.lane = lane;
      this.random = random;
      this.pauses = pauses;
    }

    void send() {
      long now = System.nanoTime();
      if (now - stopAt >= 0) {
        activeCallers.decrementAndGet();
        return;
      }
      op = nextOperation(random);
      sentAt = now;
      LoadGenerator.this.send(lane, op, random, this);
    }

    @Override
    public void done(String error) {
      if (error == null) {
        recorders.get(op).recordValue(Math.min(System.nanoTime() - sentAt, HIGHEST_NANOS));
        succeeded.get(op).increment();
        send();
        return;
      }
      recordError(error);
      try {
        pauses.schedule(this, FAILURE_PAUSE_NANOS, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        activeCallers.decrementAndGet(); // the run is over
      }
    }

    @Override
    public void run() {
      send();
    }
  }

  /** Open loop: sends call i at start + i / rate until the end; latency from that intended time. */
  private void sendOpenLoop(long start) {
    double interval = 1e9 / s.rate();
    SplittableRandom random = new SplittableRandom(s.seed());
    long i = 0;
    while (true) {
      long intended = start + (long) (i * interval);
      long now = System.nanoTime();
      if (now - stopAt >= 0) {
        break;
      }
      if (intended - now > 0) {
        LockSupport.parkNanos(Math.min(intended - now, stopAt - now));
        continue;
      }
      try {
        // With `concurrency` calls open, wait for one to finish; this call's clock is already running.
        if (!openPermits.tryAcquire(Math.max(0, stopAt - now), TimeUnit.NANOSECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      Operation op = nextOperation(random);
      send(lanes.getAndIncrement(), op, random, new OpenLoopCall(op, intended));
      i++;
    }
    long due = (long) Math.floor((stopAt - start) / interval);
    notSent = Math.max(0, due - i);
  }

  private final class OpenLoopCall implements LoadTarget.Completion {
    private final Operation op;
    private final long intended;

    OpenLoopCall(Operation op, long intended) {
      this.op = op;
      this.intended = intended;
    }

    @Override
    public void done(String error) {
      if (error == null) {
        recorders.get(op).recordValue(Math.min(Math.max(0, System.nanoTime() - intended), HIGHEST_NANOS));
        succeeded.get(op).increment();
      } else {
        recordError(error);
      }
      openPermits.release();
    }
  }

  // ---- before the run ----------------------------------------------------------------------

  /** One Get, so an unreachable target fails fast with its error instead of a run full of errors. */
  private void checkReachable() throws InterruptedException {
    CompletableFuture<String> reply = new CompletableFuture<>();
    try {
      target.get(0, names != null ? names[0] : s.keyPrefix() + 0, reply::complete);
    } catch (RuntimeException e) {
      throw new BenchException("cannot reach " + target.describe() + ": " + e.getMessage(), e);
    }
    String error;
    try {
      error = reply.get(s.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      error = "no answer within " + s.timeout();
    }
    if (error != null) {
      throw new BenchException("cannot reach " + target.describe() + ": " + error);
    }
  }

  /** Adds 1 to every key the run can pick, 100 per IncrementMany, 8 in flight. */
  private void prefill() throws InterruptedException {
    int keys = s.reachableKeys();
    int chunks = (keys + PREFILL_CHUNK - 1) / PREFILL_CHUNK;
    AtomicInteger next = new AtomicInteger();
    AtomicReference<String> failure = new AtomicReference<>();
    int lanesUsed = Math.min(PREFILL_LANES, chunks);
    CountDownLatch done = new CountDownLatch(lanesUsed);
    for (int lane = 0; lane < lanesUsed; lane++) {
      int l = lane;
      new Object() {
        void sendNext() {
          int c = next.getAndIncrement();
          if (c >= chunks || failure.get() != null) {
            done.countDown();
            return;
          }
          int from = c * PREFILL_CHUNK;
          String[] batch = new String[Math.min(PREFILL_CHUNK, keys - from)];
          for (int i = 0; i < batch.length; i++) {
            batch[i] = names != null ? names[from + i] : s.keyPrefix() + (from + i);
          }
          try {
            target.incrementMany(l, batch, error -> {
              if (error != null) {
                failure.compareAndSet(null, error);
              }
              sendNext();
            });
          } catch (RuntimeException e) {
            failure.compareAndSet(null, e.toString());
            done.countDown();
          }
        }
      }.sendNext();
    }
    long waitMillis = Math.max(Duration.ofMinutes(2).toMillis(), s.timeout().toMillis() * 2);
    if (!done.await(waitMillis, TimeUnit.MILLISECONDS)) {
      throw new BenchException("prefilling " + keys + " keys did not finish within " + waitMillis / 1000 + " s");
    }
    if (failure.get() != null) {
      throw new BenchException("prefilling " + keys + " keys failed: " + failure.get());
    }
  }

  /** Successful calls of this operation over the whole run, warm-up and tail included (after {@link #run}). */
  long succeeded(Operation op) {
    return succeeded.get(op).sum();
  }

  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }
}
