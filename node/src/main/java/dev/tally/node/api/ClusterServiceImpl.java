package dev.tally.node.api;

import dev.tally.api.v1.ClusterServiceGrpc;
import dev.tally.api.v1.ClusterStatusRequest;
import dev.tally.api.v1.ClusterStatusResponse;
import io.grpc.stub.StreamObserver;

/** {@code tally.v1.ClusterService}: answers from a {@link ClusterStatusSource}. */
public final class ClusterServiceImpl extends ClusterServiceGrpc.ClusterServiceImplBase {
  private final ClusterStatusSource source;

  public ClusterServiceImpl(ClusterStatusSource source) {
    this.source = source;
  }

  @Override
  public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> responses) {
    responses.onNext(source.status());
    responses.onCompleted();
  }
}
