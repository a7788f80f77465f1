package dev.tally.client;

import dev.tally.api.v1.ClusterServiceGrpc;
import dev.tally.api.v1.ClusterStatusRequest;
import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.MemberStatus;
import dev.tally.client.internal.ChannelFactory;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Fake nodes on in-process transports, addressed by {@code host:port} names so that the client
 * parses and picks them like real endpoints. Each node has its own {@link FakeCounterService}, or
 * all share one ({@link #sharedState}: a cluster whose replication and dedupe are perfect, for
 * failover tests that need the other node to know what the first one did). Nodes can be stopped
 * (calls fail with UNAVAILABLE before reaching it, like a refused connection; streams are cut)
 * and started again. Names are unique per cluster, so tests never see each other's servers. Like a
 * real node, each names itself in the {@code tally-node} header of every answer ({@code node-a}
 * for {@code node-a:7000}), unless told to {@link Node#hideName}.
 */
final class FakeCluster implements AutoCloseable {

  final class Node {
    final String address;
    /** The name in its {@code tally-node} header. */
    final String name;
    final FakeCounterService service;
    final Faults faults = new Faults();
    private final NodeHeader header = new NodeHeader();
    private Server server;

    Node(String address, FakeCounterService service) {
      this.address = address;
      this.name = address.substring(0, address.indexOf(':'));
      this.service = service;
    }

    /** Answers without the {@code tally-node} header, like a node from before it existed. */
    Node hideName() {
      header.hidden = true;
      return this;
    }

    synchronized Node start() {
      if (server == null) {
        try {
          server = InProcessServerBuilder.forName(prefix + address)
              .directExecutor()
              .addService(ServerInterceptors.intercept(service, faults, header))
              .addService(ServerInterceptors.intercept(new FakeClusterService(address), faults, header))
              .build()
              .start();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return this;
    }

    synchronized void stop() {
      if (server != null) {
        server.shutdownNow();
        try {
          server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        server = null;
      }
    }

    @Override
    public String toString() {
      return address;
    }

    /** Puts the node's name in the headers, or in the trailers of a trailers-only answer. */
    private final class NodeHeader implements ServerInterceptor {
      private final Metadata.Key<String> key = Metadata.Key.of("tally-node", Metadata.ASCII_STRING_MARSHALLER);
      volatile boolean hidden;

      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          private boolean headersSent;

          @Override
          public void sendHeaders(Metadata h) {
            headersSent = true;
            if (!hidden) {
              h.put(key, name);
            }
            super.sendHeaders(h);
          }

          @Override
          public void close(Status status, Metadata trailers) {
            if (!headersSent && !hidden) {
              trailers.put(key, name);
            }
            super.close(status, trailers);
          }
        }, headers);
      }
    }
  }

  private final String prefix = "tally-test-" + UUID.randomUUID() + "/";
  private final Map<String, Node> nodes = new LinkedHashMap<>();

  /** Nodes named {@code node-a:7000}, {@code node-b:7000}... with their own state, started. */
  static FakeCluster of(int n) {
    FakeCluster c = new FakeCluster();
    for (int i = 0; i < n; i++) {
      c.add(name(i), new FakeCounterService());
    }
    return c;
  }

  /** Like {@link #of} but every node serves the same counters and dedupe table. */
  static FakeCluster sharedState(int n) {
    FakeCluster c = new FakeCluster();
    FakeCounterService shared = new FakeCounterService();
    for (int i = 0; i < n; i++) {
      c.add(name(i), shared);
    }
    return c;
  }

  private static String name(int i) {
    return "node-" + (char) ('a' + i) + ":7000";
  }

  private void add(String address, FakeCounterService service) {
    nodes.put(address, new Node(address, service).start());
  }

  Node node(int i) {
    return new ArrayList<>(nodes.values()).get(i);
  }

  Node node(String address) {
    return nodes.get(address);
  }

  List<Node> nodes() {
    return List.copyOf(nodes.values());
  }

  List<String> addresses() {
    return List.copyOf(nodes.keySet());
  }

  /** Sum of a key's value over all nodes' own state (for clusters that do not share state). */
  long totalOf(String key) {
    return nodes.values().stream().map(n -> n.service).distinct().mapToLong(s -> s.value(key)).sum();
  }

  /** Calls of {@code method} that reached any node. */
  int calls(String method) {
    return nodes.values().stream().mapToInt(n -> n.faults.calls(method)).sum();
  }

  ChannelFactory channelFactory() {
    return (address, authority) ->
        InProcessChannelBuilder.forName(prefix + address).directExecutor().build();
  }

  /** A client builder aimed at every node of this cluster. */
  TallyClientBuilder clientBuilder() {
    return TallyClient.builder().endpoints(addresses()).channelFactory(channelFactory());
  }

  @Override
  public void close() {
    for (Node n : nodes.values()) {
      n.stop();
    }
  }

  /** Answers ClusterStatus with the cluster's nodes, this one marked as self. */
  private final class FakeClusterService extends ClusterServiceGrpc.ClusterServiceImplBase {
    private final String self;

    FakeClusterService(String self) {
      this.self = self;
    }

    @Override
    public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
      ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder()
          .setClusterId("test-cluster").setNode(self);
      int i = 0;
      for (String address : nodes.keySet()) {
        b.addMembers(MemberStatus.newBuilder()
            .setName(address)
            .setDc(i % 2 == 0 ? "dc1" : "dc2")
            .setReplicaId(String.format("%016x", i + 1))
            .setClientAddress(address)
            .setPeerAddress(address.replace(":7000", ":7001"))
            .setState(i == 0 ? MemberStatus.State.STATE_ALIVE : MemberStatus.State.STATE_SUSPECT)
            .setSelf(address.equals(self))
            .setReplicationLagMs(i * 10L)
            .setPendingKeys(i)
            .setNeedsRepair(i > 1));
        i++;
      }
      out.onNext(b.build());
      out.onCompleted();
    }
  }
}
