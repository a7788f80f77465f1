package dev.tally.node.peer;

import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.identity.ClaimAnswer;
import dev.tally.gossip.identity.ReplicaClaim;
import dev.tally.gossip.identity.ReplicaClaims;
import dev.tally.gossip.failover.ResolveResponder;
import dev.tally.peer.v1.ResolveRequestRequest;
import dev.tally.peer.v1.ResolveRequestResponse;
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
import dev.tally.peer.v1.ReplicaClaimRequest;
import dev.tally.peer.v1.ReplicaClaimResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
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
  private final ReplicaClaims claims;
  private final Executor claimExecutor;
  private final ResolveResponder resolver;

  /**
   * @param claims this node's record of its peers' replica-id claims
   * @param claimExecutor where claims are decided: each is a synced store write, which must not
   *     run on the event loop
   * @param resolver answers other nodes' questions about retried request ids (exactly-once
   *     across failover)
   */
  public PeerServiceImpl(Replica replica, ReplicaClaims claims, Executor claimExecutor, ResolveResponder resolver) {
    this.replica = replica;
    this.claims = claims;
    this.claimExecutor = claimExecutor;
    this.resolver = resolver;
  }

  @Override
  public void resolveRequest(ResolveRequestRequest request, StreamObserver<ResolveRequestResponse> responses) {
    answer("ResolveRequest", resolver.answer(request), responses);
  }

  @Override
  public void claimReplica(ReplicaClaimRequest request, StreamObserver<ReplicaClaimResponse> responses) {
    CompletableFuture<ReplicaClaimResponse> answer;
    if (request.getEpoch() < 1 || request.getReplicaId() == 0 || request.getFrom().getName().isEmpty()) {
      answer = CompletableFuture.failedFuture(new IllegalArgumentException(
          "a claim needs a replica id, an epoch >= 1 and the claiming node's name, got " + request));
    } else {
      ReplicaClaim claim = new ReplicaClaim(request.getReplicaId(), request.getEpoch(), request.getFrom().getName(),
          request.getInstance());
      answer = CompletableFuture.supplyAsync(() -> {
        ClaimAnswer a = claims.consider(claim);
        if (!a.accepted()) {
          log.warn("refused replica claim {}: {}", claim, a.reason());
        }
        return ReplicaClaimResponse.newBuilder().setAccepted(a.accepted()).setHeldByNode(a.heldByNode())
            .setHeldEpoch(a.heldEpoch()).setReason(a.reason()).build();
      }, claimExecutor);
    }
    answer("ClaimReplica", answer, responses);
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
    if (e instanceof dev.tally.gossip.merge.PeerLimitException) {
      return Status.RESOURCE_EXHAUSTED.withDescription(method + " not acknowledged: " + e.getMessage());
    }
    if (e instanceof IllegalStateException) {
      return Status.UNAVAILABLE.withDescription(method + ": " + e.getMessage());
    }
    if (e instanceof StoreException) {
      return Status.UNAVAILABLE.withDescription(method + " could not be stored, nothing written: " + e.getMessage());
    }
    if (e instanceof dev.tally.gossip.write.WriteException w) {
      // A fence step refused or failed by the pipeline (shedding, shutdown, a failed disk): nothing written.
      return Status.UNAVAILABLE.withDescription(method + ": " + w.getMessage());
    }
    log.error("{} failed", method, e);
    return Status.INTERNAL.withDescription(method + " failed: internal error (the details are in this node's log)");
  }
}
