package dev.tally.node.peer;

import io.grpc.CallOptions;
import io.grpc.Metadata;

/** What travels beside every node-to-node call. */
public final class PeerHeaders {
  /** The caller's cluster id; a node answers only calls of its own cluster. */
  public static final Metadata.Key<String> CLUSTER_ID = Metadata.Key.of("tally-cluster-id", Metadata.ASCII_STRING_MARSHALLER);

  /** The calling node's name, for logs and for tests that cut links between named nodes. */
  public static final Metadata.Key<String> FROM_NODE = Metadata.Key.of("tally-node", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * On the client side, the name of the peer a call goes to, so a client interceptor (such as a
   * test's fault hook) can tell which link a call uses.
   */
  public static final CallOptions.Key<String> TARGET_PEER = CallOptions.Key.create("tally-target-peer");

  private PeerHeaders() {}
}
