package dev.tally.node.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where client reads of the store run, so that none runs on a gRPC event loop: the client server
 * calls handlers on its event loops ({@code directExecutor}, which saves writes two hand-offs), and
 * a RocksDB point read there that misses the memtable and block cache would wait for the disk with
 * every other call of that loop stuck behind it.
 *
 * <p>Bounded both ways: a fixed number of threads (one per core, at least 2) and a queue of
 * {@link #MAX_QUEUED} reads; past that a read is refused with RESOURCE_EXHAUSTED instead of piling
 * up behind a slow disk.
 *
 * <p>Threads: {@link #execute} from any thread (the event loops); the tasks run on the pool's
 * {@code tally-read-N} threads; {@link #close} once, after the client server has stopped.
 */
public final class ReadExecutor implements AutoCloseable {
  /** Reads queued (not yet running) before new ones are refused. */
  public static final int MAX_QUEUED = 10_000;

  private static final Logger log = LoggerFactory.getLogger(ReadExecutor.class);

  private final ThreadPoolExecutor pool;

  public ReadExecutor(String nodeName) {
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_QUEUED), r -> {
      Thread t = new Thread(r, "tally-read-" + nodeName + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    pool.allowCoreThreadTimeOut(true);
  }

  /**
   * Queues a read.
   *
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED when {@link #MAX_QUEUED} reads wait already,
   *     UNAVAILABLE when the node is shutting down
   */
  void execute(Runnable read) {
    try {
      pool.execute(() -> {
        try {
          read.run();
        } catch (RuntimeException e) {
          // The read answers its own call; reaching here is a bug, and the thread must live on.
          log.error("a read task failed", e);
        }
      });
    } catch (RejectedExecutionException e) {
      if (pool.isShutdown()) {
        throw Status.UNAVAILABLE.withDescription("the node is shutting down; read from another node").asRuntimeException();
      }
      throw Status.RESOURCE_EXHAUSTED.withDescription("this node has " + MAX_QUEUED
          + " reads queued (its disk is slow or overloaded); retry with backoff or read from another node")
          .asRuntimeException();
    }
  }

  /** Lets queued reads finish (bounded), then stops the threads. */
  @Override
  public void close() {
    pool.shutdown();
    try {
      if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pool.shutdownNow();
    }
  }
}
