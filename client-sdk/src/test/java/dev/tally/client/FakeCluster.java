package dev.tally.client;

import dev.tally.api.v1.ClusterServiceGrpc;
import dev.tally.api.v1.ClusterStatusRequest;
import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.MemberStatus;
import dev.tally.client.internal.ChannelFactory;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
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
 * and started again. Names are unique per cluster, so tests never see each other's servers.
 */
final class FakeCluster implements AutoCloseable {

  final class Node {
    final String address;
    final FakeCounterService service;
    final Faults faults = new Faults();
    private Server server;

    Node(String address, FakeCounterService service) {
      this.address = address;
      this.service = service;
    }

    synchronized Node start() {
      if (server == null) {
        try {
          server = InProcessServerBuilder.forName(prefix + address)
              .directExecutor()
              .addService(ServerInterceptors.intercept(service, faults))
              .addService(ServerInterceptors.intercept(new FakeClusterService(address), faults))
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
