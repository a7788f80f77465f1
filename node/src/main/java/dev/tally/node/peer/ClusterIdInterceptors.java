package dev.tally.node.peer;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pair that keeps clusters apart on the peer port: the client side stamps every call with this
 * node's cluster id and name; the server side refuses a call of another cluster (or of none) with
 * FAILED_PRECONDITION before the call reaches the service. The refusal names neither id (this
 * node's would tell any caller the value that opens the port); the log names both.
 */
public final class ClusterIdInterceptors {
  private static final Logger log = LoggerFactory.getLogger(ClusterIdInterceptors.class);

  private ClusterIdInterceptors() {}

  /** Adds {@code tally-cluster-id} and {@code tally-node} to every call. */
  public static ClientInterceptor client(String clusterId, String nodeName) {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(nodeName, "nodeName");
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(PeerHeaders.CLUSTER_ID, clusterId);
            headers.put(PeerHeaders.FROM_NODE, nodeName);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  /** Refuses calls whose {@code tally-cluster-id} is missing or differs from {@code clusterId}. */
  public static ServerInterceptor server(String clusterId) {
    Objects.requireNonNull(clusterId, "clusterId");
    Set<String> warned = ConcurrentHashMap.newKeySet();
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String theirs = headers.get(PeerHeaders.CLUSTER_ID);
        if (!clusterId.equals(theirs)) {
          String from = headers.get(PeerHeaders.FROM_NODE);
          // The caller learns only that the ids differ: this node's cluster id guards the peer port
          // and must not be handed to whoever asks (issue 13). The log, for the operator, has both.
          String message = theirs == null
              ? "peer call without the tally-cluster-id header refused: set the same cluster-id on every node"
              : "peer call refused: its tally-cluster-id is not this node's cluster id; nodes of different clusters"
                  + " never exchange data (set the same cluster-id on every node)";
          String logged = theirs == null
              ? "peer call without the tally-cluster-id header refused: this node belongs to cluster '" + clusterId + "'"
              : "peer call from cluster '" + theirs + "' refused: this node belongs to cluster '" + clusterId + "'";
          // Once per caller at WARN: a misconfigured node keeps calling, and the log must stay readable.
          if (warned.size() < 1000 && warned.add(theirs + "|" + from)) {
            log.warn("{} (caller: node '{}', method {})", logged, from, call.getMethodDescriptor().getFullMethodName());
          } else {
            log.debug("{} (caller: node '{}')", logged, from);
          }
          call.close(Status.FAILED_PRECONDITION.withDescription(message), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }
}
