package dev.tally.node.peer;

import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.store.StoreException;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.BucketSyncResponse;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.PeerServiceGrpc;
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReadStatesResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tally.peer.v1.PeerService}: hands every call to the replica and answers when its future
 * completes.
 *
 * <p>Threads: handlers run on gRPC's event loop (the peer server uses {@code directExecutor}) and
 * only enqueue work on the replica thread; answers are sent from the replica thread, where the
 * futures complete. Nothing here blocks.
 *
 * <p>Errors: {@link IllegalArgumentException} (bad peer input; nothing changed) is INVALID_ARGUMENT,
 * {@link IllegalStateException} (the replica is not running) and {@link StoreException} (nothing
 * written) are UNAVAILABLE, anything else INTERNAL.
 */
public final class PeerServiceImpl extends PeerServiceGrpc.PeerServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(PeerServiceImpl.class);

  private final Replica replica;

  public PeerServiceImpl(Replica replica) {
    this.replica = replica;
  }

  @Override
  public void pushDelta(DeltaBatch request, StreamObserver<DeltaAck> responses) {
    answer("PushDelta", replica.onPushDelta(request), responses);
  }

  @Override
  public void compareDigest(DigestRequest request, StreamObserver<DigestResponse> responses) {
    answer("CompareDigest", replica.onCompareDigest(request), responses);
  }

  @Override
  public void syncBuckets(BucketSyncRequest request, StreamObserver<BucketSyncResponse> responses) {
    answer("SyncBuckets", replica.onSyncBuckets(request), responses);
  }

  @Override
  public void readStates(ReadStatesRequest request, StreamObserver<ReadStatesResponse> responses) {
    answer("ReadStates", replica.onReadStates(request), responses);
  }

  private static <T> void answer(String method, CompletableFuture<T> result, StreamObserver<T> responses) {
    result.whenComplete((value, error) -> {
      if (error == null) {
        responses.onNext(value);
        responses.onCompleted();
      } else {
        responses.onError(toStatus(method, error).asRuntimeException());
      }
    });
  }

  static Status toStatus(String method, Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(method + " refused, nothing changed: " + e.getMessage());
    }
    if (e instanceof IllegalStateException) {
      return Status.UNAVAILABLE.withDescription(method + ": " + e.getMessage());
    }
    if (e instanceof StoreException) {
      return Status.UNAVAILABLE.withDescription(method + " could not be stored, nothing written: " + e.getMessage());
    }
    log.error("{} failed", method, e);
    return Status.INTERNAL.withDescription(method + " failed: " + e);
  }
}
