package dev.tally.node.api;

import dev.tally.api.v1.AdminServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.ExportRequest;
import dev.tally.node.storage.ExportCursor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * {@code tally.v1.AdminService} on one node: {@code Export}, this node's counters as a stream
 * (see admin.proto and {@link ExportStream}). Behind the same interceptors as the other client
 * services; with auth-tokens every method needs the admin role ({@link
 * dev.tally.node.auth.AuthInterceptor}).
 *
 * <p>Threads: the handler runs on the event loop and only validates and hands the stream to the
 * {@link ReadExecutor}, where every store read of an export happens.
 */
public final class AdminServiceImpl extends AdminServiceGrpc.AdminServiceImplBase {
  /** Exports running at once on one node; more are refused with RESOURCE_EXHAUSTED. */
  public static final int MAX_EXPORTS = 4;

  private final Function<String, ExportCursor> cursors;
  private final ReadExecutor reads;
  private final Semaphore running = new Semaphore(MAX_EXPORTS);

  /** @param cursors opens a pass over the store after the given key (empty: from the start) */
  public AdminServiceImpl(Function<String, ExportCursor> cursors, ReadExecutor reads) {
    this.cursors = cursors;
    this.reads = reads;
  }

  @Override
  public void export(ExportRequest req, StreamObserver<CounterValue> responses) {
    try {
      if (req.getPrefixBytes().size() > Limits.MAX_KEY_BYTES) {
        throw invalid("prefix is " + req.getPrefixBytes().size() + " bytes; the limit is " + Limits.MAX_KEY_BYTES
            + " bytes of UTF-8 (a key's limit)");
      }
      if (req.getStartAfterBytes().size() > Limits.MAX_KEY_BYTES) {
        throw invalid("start_after is " + req.getStartAfterBytes().size() + " bytes; the limit is "
            + Limits.MAX_KEY_BYTES + " bytes of UTF-8 (a key's limit)");
      }
      if (req.getLimit() < 0) {
        throw invalid("limit must be >= 0 (0: no limit), got " + req.getLimit());
      }
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    if (!running.tryAcquire()) {
      responses.onError(Status.RESOURCE_EXHAUSTED.withDescription("this node runs " + MAX_EXPORTS
          + " exports already (the limit); retry when one has finished").asRuntimeException());
      return;
    }
    new ExportStream((ServerCallStreamObserver<CounterValue>) responses, () -> cursors.apply(req.getStartAfter()),
        req.getPrefix(), req.getLimit(), reads, running::release).start();
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
