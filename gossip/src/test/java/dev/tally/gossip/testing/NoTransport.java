package dev.tally.gossip.testing;

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

/** Calls go nowhere: for tests that never let a gossip or anti-entropy timer fire. */
public final class NoTransport implements PeerTransport {
  @Override
  public CompletableFuture<DeltaAck> pushDelta(String peer, DeltaBatch batch) {
    return CompletableFuture.failedFuture(new IllegalStateException("no transport"));
  }

  @Override
  public CompletableFuture<DigestResponse> compareDigest(String peer, DigestRequest request) {
    return CompletableFuture.failedFuture(new IllegalStateException("no transport"));
  }

  @Override
  public CompletableFuture<BucketSyncResponse> syncBuckets(String peer, BucketSyncRequest request) {
    return CompletableFuture.failedFuture(new IllegalStateException("no transport"));
  }

  @Override
  public CompletableFuture<ReadStatesResponse> readStates(String peer, ReadStatesRequest request) {
    return CompletableFuture.failedFuture(new IllegalStateException("no transport"));
  }
}
