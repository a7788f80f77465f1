package dev.tally.gossip.transport;

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
 * Outbound calls to a peer, addressed by node name. The node backs it with gRPC on the peer port,
 * the simulator with its lossy network.
 *
 * <p>Every call is asynchronous and bounded by the transport's deadline: a future never stays
 * pending forever, so a hung peer cannot hold engine resources. Futures may complete on any
 * thread; the engine moves back onto its own thread before touching state.
 */
public interface PeerTransport {
  CompletableFuture<DeltaAck> pushDelta(String peer, DeltaBatch batch);

  CompletableFuture<DigestResponse> compareDigest(String peer, DigestRequest request);

  CompletableFuture<BucketSyncResponse> syncBuckets(String peer, BucketSyncRequest request);

  CompletableFuture<ReadStatesResponse> readStates(String peer, ReadStatesRequest request);
}
