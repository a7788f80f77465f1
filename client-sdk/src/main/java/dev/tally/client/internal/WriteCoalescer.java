package dev.tally.client.internal;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementManyResponse;
import dev.tally.client.Consistency;
import dev.tally.client.CounterValue;
import dev.tally.client.TallyException;
import dev.tally.client.WriteOutcomeUnknownException;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Write coalescing: increments and decrements (of all keys) submitted within one window go out as
 * one IncrementMany, and each caller's future completes only when that request is acknowledged,
 * with the key's value after the whole request (so it includes the other callers' changes).
 *
 * <p>A batch holds at most two items per key: the sum of its increments and the sum of its
 * decrements (an item may not be 0, and folding +n and -n into nothing would acknowledge writes
 * that were never made durable). A batch is sent early when it reaches {@value
 * Validation#MAX_BATCH} items or {@value #MAX_BATCH_KEY_BYTES} bytes of keys, and a write that
 * would overflow its item's sum starts a new batch. Writes with different consistency never share
 * a request. The request's deadline is the earliest of its writers' deadlines. A failure of the
 * request fails every write in it: with the same exception, or for an uncertain outcome with a
 * {@link WriteOutcomeUnknownException} without a request id (a coalesced write cannot be retried
 * on its own).
 *
 * <p>Concurrency: {@code lock} guards {@code open} (one filling batch per consistency), each open
 * batch's contents and {@code closed}. Any thread submits; the scheduler closes a batch when its
 * window ends. Requests are sent and futures completed outside the lock.
 */
final class WriteCoalescer {

  /** Keeps a request far below the 4 MiB a node accepts by default. */
  static final int MAX_BATCH_KEY_BYTES = 1 << 20;

  /** Per-item overhead counted against {@link #MAX_BATCH_KEY_BYTES}. */
  private static final int ITEM_OVERHEAD_BYTES = 16;

  private final UnaryCallRunner runner;
  private final ScheduledExecutorService scheduler;
  private final long windowNanos;
  private final ClientMetrics metrics;
  private final Object lock = new Object();
  private final Map<Consistency, Batch> open = new EnumMap<>(Consistency.class);
  private boolean closed;

  WriteCoalescer(
      UnaryCallRunner runner, ScheduledExecutorService scheduler, long windowNanos, ClientMetrics metrics) {
    this.runner = runner;
    this.scheduler = scheduler;
    this.windowNanos = windowNanos;
    this.metrics = metrics;
  }

  /**
   * Adds a validated write to the current batch.
   *
   * @param signedAmount positive to increment, negative to decrement, never 0
   * @param keyBytes the key's length in UTF-8
   * @param deadlineNanos the caller's overall deadline on the {@link System#nanoTime()} scale
   */
  CompletableFuture<CounterValue> submit(
      String key, long signedAmount, int keyBytes, Consistency consistency, long deadlineNanos) {
    Waiter waiter = new Waiter(key, signedAmount, keyBytes, deadlineNanos);
    List<Batch> ready = new ArrayList<>(1);
    Batch scheduleFlush = null;
    synchronized (lock) {
      if (closed) {
        return CompletableFuture.failedFuture(new IllegalStateException("TallyClient is closed"));
      }
      Batch batch = open.get(consistency);
      if (batch != null && !batch.tryAdd(waiter)) {
        open.remove(consistency);
        ready.add(batch);
        batch = null;
      }
      if (batch == null) {
        batch = new Batch(consistency);
        if (!batch.tryAdd(waiter)) {
          throw new AssertionError("a single write must fit an empty batch");
        }
        open.put(consistency, batch);
        scheduleFlush = batch;
      }
      if (batch.isFull()) {
        open.remove(consistency);
        ready.add(batch);
        scheduleFlush = null;
      }
    }
    if (scheduleFlush != null) {
      Batch b = scheduleFlush;
      try {
        scheduler.schedule(() -> flush(b), windowNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        flush(b);
      }
    }
    for (Batch b : ready) {
      send(b);
    }
    return waiter.future;
  }

  /** Sends {@code batch} if it is still the open one (its window ended). */
  private void flush(Batch batch) {
    synchronized (lock) {
      if (open.get(batch.consistency) != batch) {
        return;
      }
      open.remove(batch.consistency);
    }
    send(batch);
  }

  /** Refuses new writes and sends every open batch now (the client is closing). */
  void close() {
    List<Batch> ready;
    synchronized (lock) {
      closed = true;
      ready = new ArrayList<>(open.values());
      open.clear();
    }
    for (Batch b : ready) {
      send(b);
    }
  }

  private void send(Batch batch) {
    metrics.coalescedBatch(batch.waiters.size());
    String requestId = RequestIds.next();
    IncrementManyRequest.Builder request = IncrementManyRequest.newBuilder()
        .setRequestId(requestId)
        .setConsistency(Protos.toProto(batch.consistency));
    for (int i = 0; i < batch.itemKeys.size(); i++) {
      request.addItemsBuilder().setKey(batch.itemKeys.get(i)).setAmount(batch.itemAmounts.get(i));
    }
    CompletableFuture<IncrementManyResponse> reply = runner.call(
        "CoalescedIncrement", CounterServiceGrpc.getIncrementManyMethod(), request.build(),
        new WriteSpec<>(requestId, List.of(),
            (r, nodes) -> r.toBuilder().clearPriorNodes().addAllPriorNodes(nodes).build()),
        batch.earliestDeadlineNanos);
    reply.whenComplete((response, error) -> complete(batch, requestId, response, error));
  }

  private static void complete(
      Batch batch, String requestId, IncrementManyResponse response, Throwable error) {
    if (error == null && response.getValuesCount() != batch.itemKeys.size()) {
      error = new TallyException(Status.Code.INTERNAL, "the node returned "
          + response.getValuesCount() + " values for " + batch.itemKeys.size() + " items",
          null, 1, null);
    }
    if (error == null) {
      List<CounterValue> values = new ArrayList<>(batch.itemKeys.size());
      for (int i = 0; i < batch.itemKeys.size(); i++) {
        values.add(Protos.fromProto(response.getValues(i)));
      }
      for (Waiter w : batch.waiters) {
        w.future.complete(values.get(w.item));
      }
      return;
    }
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
    Throwable shared = cause;
    if (cause instanceof WriteOutcomeUnknownException unknown) {
      shared = new WriteOutcomeUnknownException(
          unknown.code(),
          "sent in a coalesced IncrementMany of " + batch.waiters.size() + " writes (request id "
              + requestId + ") that failed with " + unknown.code(),
          unknown.endpoint().orElse(null),
          unknown.attempts(),
          null,
          unknown);
    }
    for (Waiter w : batch.waiters) {
      w.future.completeExceptionally(shared);
    }
  }

  private static final class Waiter {
    final String key;
    final long amount;
    final int keyBytes;
    final long deadlineNanos;
    final CompletableFuture<CounterValue> future = new CompletableFuture<>();
    int item;

    Waiter(String key, long amount, int keyBytes, long deadlineNanos) {
      this.key = key;
      this.amount = amount;
      this.keyBytes = keyBytes;
      this.deadlineNanos = deadlineNanos;
    }
  }

  /** One IncrementMany being filled. Guarded by the coalescer's lock until it is taken out. */
  private static final class Batch {
    final Consistency consistency;
    final List<Waiter> waiters = new ArrayList<>();
    final List<String> itemKeys = new ArrayList<>();
    final List<Long> itemAmounts = new ArrayList<>();
    /** Key to item index: [0] the increments' item, [1] the decrements'; -1 when absent. */
    final Map<String, int[]> itemsByKey = new HashMap<>();
    long bytes;
    long earliestDeadlineNanos;

    Batch(Consistency consistency) {
      this.consistency = consistency;
    }

    /** Adds {@code w} to this batch, or returns false when it does not fit. */
    boolean tryAdd(Waiter w) {
      int side = w.amount > 0 ? 0 : 1;
      int[] items = itemsByKey.get(w.key);
      if (items != null && items[side] >= 0) {
        int index = items[side];
        long sum;
        try {
          sum = Math.addExact(itemAmounts.get(index), w.amount);
        } catch (ArithmeticException overflow) {
          return false;
        }
        itemAmounts.set(index, sum);
        w.item = index;
      } else {
        long itemBytes = (long) w.keyBytes + ITEM_OVERHEAD_BYTES;
        if (itemKeys.size() >= Validation.MAX_BATCH
            || (!itemKeys.isEmpty() && bytes + itemBytes > MAX_BATCH_KEY_BYTES)) {
          return false;
        }
        if (items == null) {
          items = new int[] {-1, -1};
          itemsByKey.put(w.key, items);
        }
        items[side] = itemKeys.size();
        w.item = itemKeys.size();
        itemKeys.add(w.key);
        itemAmounts.add(w.amount);
        bytes += itemBytes;
      }
      earliestDeadlineNanos = waiters.isEmpty()
          ? w.deadlineNanos
          : (w.deadlineNanos - earliestDeadlineNanos < 0 ? w.deadlineNanos : earliestDeadlineNanos);
      waiters.add(w);
      return true;
    }

    boolean isFull() {
      return itemKeys.size() >= Validation.MAX_BATCH || bytes >= MAX_BATCH_KEY_BYTES;
    }
  }
}
