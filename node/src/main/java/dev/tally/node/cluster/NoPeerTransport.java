package dev.tally.node.cluster;

import dev.tally.gossip.transport.PeerTransport;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.BucketSyncResponse;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReadStatesResponse;
import java.util.concurrent.CompletableFuture;

/**
 * The peer transport of a replica that runs without a cluster (tests and benchmarks of the local
 * write path): every call fails at once; there is nobody to call ({@link SingleNodeMembership} lists
 * no peers, so the engine never tries). A node uses {@link dev.tally.node.peer.GrpcPeerTransport}.
 */
public final class NoPeerTransport implements PeerTransport {

  @Override
  public CompletableFuture<DeltaAck> pushDelta(String peer, DeltaBatch batch) {
    return noPeer(peer);
  }

  @Override
  public CompletableFuture<DigestResponse> compareDigest(String peer, DigestRequest request) {
    return noPeer(peer);
  }

  @Override
  public CompletableFuture<BucketSyncResponse> syncBuckets(String peer, BucketSyncRequest request) {
    return noPeer(peer);
  }

  @Override
  public CompletableFuture<ReadStatesResponse> readStates(String peer, ReadStatesRequest request) {
    return noPeer(peer);
  }

  private static <T> CompletableFuture<T> noPeer(String peer) {
    return CompletableFuture.failedFuture(
        new IllegalStateException("this node runs alone and has no transport to peer '" + peer + "'"));
  }
}
