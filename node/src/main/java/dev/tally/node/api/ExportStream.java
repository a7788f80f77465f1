package dev.tally.node.api;

import dev.tally.api.v1.CounterValue;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreException;
import dev.tally.node.storage.ExportCursor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code Export} call: pulls counters from an {@link ExportCursor} only while the call's
 * transport is ready for more ({@link ServerCallStreamObserver#isReady}), so a slow client makes
 * the node stop reading rather than buffer; memory per export is the cursor plus gRPC's outbound
 * buffer (about 32 KiB before the call reports not ready), whatever the keyspace.
 *
 * <p>Threads: the work runs in drains on the {@link ReadExecutor}, never on the event loop or the
 * replica thread. At most one drain is queued or running at a time ({@code scheduled}), so the
 * cursor and {@code sent} are only ever touched by one thread at a time and need no lock. The
 * event loop only schedules a drain: when the call becomes ready again, and when it is cancelled
 * (the client went away or its deadline passed; the drain then closes the cursor without sending).
 * A drain stops after {@link #SENDS_PER_DRAIN} counters sent or {@link #READS_PER_DRAIN} read and
 * queues the next one, so a long export takes turns with the node's point reads.
 */
final class ExportStream {
  static final int SENDS_PER_DRAIN = 256;
  static final int READS_PER_DRAIN = 4096;
  private static final Logger log = LoggerFactory.getLogger(ExportStream.class);

  private final ServerCallStreamObserver<CounterValue> call;
  private final Supplier<ExportCursor> open;
  private final String prefix;
  private final long limit;
  private final ReadExecutor executor;
  private final Runnable onFinish;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile boolean cancelled;
  // Drain-only (one drain at a time).
  private ExportCursor cursor;
  private long sent;

  ExportStream(ServerCallStreamObserver<CounterValue> call, Supplier<ExportCursor> open, String prefix, long limit,
      ReadExecutor executor, Runnable onFinish) {
    this.call = call;
    this.open = open;
    this.prefix = prefix;
    this.limit = limit;
    this.executor = executor;
    this.onFinish = onFinish;
  }

  /** Event loop, in the handler: installs the handlers and queues the first drain. */
  void start() {
    call.setOnCancelHandler(() -> {
      cancelled = true;
      schedule();
    });
    call.setOnReadyHandler(this::schedule);
    schedule();
  }

  private void schedule() {
    if (finished.get() || !scheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      executor.execute(this::drain);
    } catch (StatusRuntimeException e) {
      // No drain runs now (scheduled was false), so this thread may finish the call.
      finish(e);
    }
  }

  private void drain() {
    try {
      if (!step()) {
        return;
      }
    } catch (StatusRuntimeException e) {
      finish(e);
      return;
    } catch (StoreException e) {
      finish(Status.UNAVAILABLE.withDescription("this node could not read its store: " + e.getMessage()
          + "; resume after the last key received, here or on another node").asRuntimeException());
      return;
    } catch (RuntimeException e) {
      log.error("export failed", e);
      finish(Status.INTERNAL.withDescription(CounterServiceImpl.INTERNAL_ERROR).asRuntimeException());
      return;
    }
    // Paused because the call is not ready: let the next onReady schedule a drain, then catch the
    // onReady (or cancel) that came while this drain still counted as scheduled.
    scheduled.set(false);
    if (call.isReady() || cancelled) {
      schedule();
    }
  }

  /**
   * Sends while the call is ready. Returns true when it paused for readiness; false when the call
   * is finished or the next drain is already queued.
   */
  private boolean step() {
    if (finished.get()) {
      return false;
    }
    if (cancelled) {
      finish(null);
      return false;
    }
    if (cursor == null) {
      cursor = open.get();
    }
    int sends = 0;
    int reads = 0;
    while (true) {
      if (cancelled) {
        finish(null);
        return false;
      }
      if (limit > 0 && sent >= limit) {
        finish(null);
        return false;
      }
      if (!call.isReady()) {
        return true;
      }
      if (sends >= SENDS_PER_DRAIN || reads >= READS_PER_DRAIN) {
        executor.execute(this::drain);
        return false;
      }
      KeyState next = cursor.next();
      reads++;
      if (next == null) {
        finish(null);
        return false;
      }
      if (!next.key().startsWith(prefix)) {
        continue;
      }
      call.onNext(CounterValues.of(next.key(), next.state()));
      sent++;
      sends++;
    }
  }

  /** Closes the cursor, frees the export's slot and ends the call (with {@code error}, else OK), once. */
  private void finish(StatusRuntimeException error) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    try {
      if (cursor != null) {
        cursor.close();
      }
    } finally {
      onFinish.run();
    }
    if (cancelled) {
      return;
    }
    try {
      if (error == null) {
        call.onCompleted();
      } else {
        call.onError(error.getStatus().augmentDescription(sent + " counters were sent before it; resume with"
            + " start_after set to the last key received").asRuntimeException());
      }
    } catch (IllegalStateException | StatusRuntimeException e) {
      // Cancelled between the check and the call: nobody is listening.
      log.debug("export ended after its call did", e);
    }
  }
}
