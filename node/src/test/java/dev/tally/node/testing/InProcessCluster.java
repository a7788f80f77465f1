package dev.tally.node.testing;

import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.ClusterServiceGrpc;
import dev.tally.api.v1.ClusterStatusRequest;
import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.MemberStatus;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.node.TallyNode;
import dev.tally.node.config.ConfigLoader;
import dev.tally.node.config.NodeConfig;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Real TallyNodes in this JVM, on loopback ports fixed at creation (so a restarted node comes back
 * at the same addresses), each with its own data dir under {@code root}, every node listing every
 * other as a seed (unless the spec sets {@code seeds}), and a {@link PartitionFault} on every node's peer transport. Timers are short so
 * that tests stay fast (gossip 20 ms, anti-entropy 300 ms, heartbeat 100 ms, failure timeout 1.5 s,
 * quorum timeout 1 s, peer timeout 500 ms); a spec can override any setting.
 *
 * <p>{@link #dump} renders every running node's ClusterStatus and the values of the keys the test
 * touched through this class; {@link ClusterTestSupport} prints it when a test fails and closes the
 * cluster either way.
 */
public final class InProcessCluster implements AutoCloseable {
  /** What to start: nodes (name -> dc, in order), settings for all nodes, engine tuning. */
  public static final class Spec {
    private final Map<String, String> nodes = new LinkedHashMap<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private UnaryOperator<ReplicaConfig> tuning = UnaryOperator.identity();
    private boolean metrics;
    private Duration claimTimeout = Duration.ofSeconds(3);
    /** On the harness's own stubs (stub, status, value): an auth test's all-roles token. */
    private io.grpc.ClientInterceptor[] stubInterceptors = new io.grpc.ClientInterceptor[0];
    private final Map<String, Map<String, String>> nodeSettings = new LinkedHashMap<>();
    private java.util.function.IntFunction<ManagedChannel> clientChannels = TestNodes::channel;

    public Spec() {
      settings.put("gossip-interval", "20ms");
      settings.put("anti-entropy-interval", "300ms");
      settings.put("heartbeat-interval", "100ms");
      settings.put("failure-timeout", "1500ms");
      settings.put("quorum-timeout", "1s");
      settings.put("peer-timeout", "500ms");
      // Durability is not what these tests are about, and fsyncs are slow on a shared box.
      settings.put("durability", "async");
      settings.put("metrics-port", "0");
      settings.put("http-port", "0");
      settings.put("cluster-id", "test-cluster");
    }

    public Spec node(String name, String dc) {
      nodes.put(name, dc);
      return this;
    }

    /** {@code n} nodes named n1..n{@code n} in {@code dc}. */
    public Spec nodes(int n, String dc) {
      for (int i = 1; i <= n; i++) {
        node("n" + i, dc);
      }
      return this;
    }

    public Spec set(String key, String value) {
      settings.put(key, value);
      return this;
    }

    /** A setting of one node only (its own certificate, say), over {@link #set}. */
    public Spec setOn(String node, String key, String value) {
      nodeSettings.computeIfAbsent(node, n -> new LinkedHashMap<>()).put(key, value);
      return this;
    }

    /** How the cluster's own channels reach a client port (a TLS channel when the nodes serve TLS). */
    public Spec clientChannels(java.util.function.IntFunction<ManagedChannel> channels) {
      this.clientChannels = channels;
      return this;
    }

    /** Serves /metrics on a free port per node ({@link TallyNode#metricsPort}). */
    public Spec withMetrics() {
      this.metrics = true;
      return this;
    }

    /** How long a start waits for its peers to confirm its replica id (shorter than a node's default). */
    public Spec claimTimeout(Duration d) {
      claimTimeout = d;
      return this;
    }

    /** Adds {@code interceptor} to the harness's stubs (a token for nodes with auth-tokens). */
    public Spec stubInterceptor(io.grpc.ClientInterceptor interceptor) {
      io.grpc.ClientInterceptor[] more = java.util.Arrays.copyOf(stubInterceptors, stubInterceptors.length + 1);
      more[stubInterceptors.length] = interceptor;
      stubInterceptors = more;
      return this;
    }

    public Spec tuning(UnaryOperator<ReplicaConfig> t) {
      this.tuning = t;
      return this;
    }
  }

  private record Slot(String name, String dc, Path dir, int port, int peerPort, int metricsPort) {}

  private final Path root;
  private final Spec spec;
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private final Map<String, TallyNode> running = new ConcurrentHashMap<>();
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Set<String> touchedKeys = ConcurrentHashMap.newKeySet();
  private final PartitionFault faults = new PartitionFault();

  private InProcessCluster(Path root, Spec spec) {
    this.root = root;
    this.spec = spec;
    Set<Integer> used = new TreeSet<>();
    for (Map.Entry<String, String> e : spec.nodes.entrySet()) {
      int port;
      int peer;
      do {
        port = TestNodes.freePort();
        peer = TestNodes.freePeerPort();
      } while (!used.add(port) || used.contains(peer) || used.contains(peer + 1) || peer == port || peer + 1 == port);
      used.add(peer);
      used.add(peer + 1);
      int metrics = 0;
      while (spec.metrics && (metrics == 0 || !used.add(metrics))) {
        metrics = TestNodes.freePort();
      }
      slots.put(e.getKey(), new Slot(e.getKey(), e.getValue(), root.resolve(e.getKey()), port, peer, metrics));
    }
  }

  /** Starts every node of the spec (one after the other; each start returns once it serves). */
  public static InProcessCluster start(Path root, Spec spec) {
    InProcessCluster c = new InProcessCluster(root, spec);
    try {
      for (String name : spec.nodes.keySet()) {
        c.start(name);
      }
      return c;
    } catch (RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  public List<String> names() {
    return new ArrayList<>(slots.keySet());
  }

  public List<String> namesIn(String dc) {
    return slots.values().stream().filter(s -> s.dc().equals(dc)).map(Slot::name).toList();
  }

  public PartitionFault faults() {
    return faults;
  }

  public TallyNode node(String name) {
    TallyNode n = running.get(name);
    if (n == null) {
      throw new IllegalStateException("node " + name + " is not running");
    }
    return n;
  }

  public boolean isRunning(String name) {
    return running.containsKey(name);
  }

  public Path dataDir(String name) {
    return slots.get(name).dir();
  }

  public NodeConfig config(String name) {
    Slot s = slots.get(name);
    Map<String, String> flags = new HashMap<>(spec.settings);
    flags.putAll(spec.nodeSettings.getOrDefault(s.name(), Map.of()));
    flags.put("name", s.name());
    flags.put("dc", s.dc());
    flags.put("data-dir", s.dir().toString());
    flags.put("port", Integer.toString(s.port()));
    flags.put("peer-port", Integer.toString(s.peerPort()));
    if (s.metricsPort() != 0) {
      flags.put("metrics-port", Integer.toString(s.metricsPort()));
    }
    flags.putIfAbsent("seeds", slots.values().stream().map(o -> "127.0.0.1:" + o.peerPort()).collect(Collectors.joining(",")));
    return ConfigLoader.load(flags, Map.of()).config();
  }

  /** Starts (or restarts) a node at its addresses, on its data dir. */
  public TallyNode start(String name) {
    if (running.containsKey(name)) {
      throw new IllegalStateException("node " + name + " is already running");
    }
    TallyNode.Options options = TallyNode.Options.defaults()
        .withShutdownGrace(Duration.ofSeconds(5))
        .withPeerInterceptor(faults.interceptorFor(name))
        .withReplicaTuning(spec.tuning)
        .withReplicaClaimTimeout(spec.claimTimeout);
    TallyNode node = TallyNode.start(config(name), options);
    running.put(name, node);
    channels.put(name, spec.clientChannels.apply(node.clientPort()));
    return node;
  }

  /** Stops a node gracefully; its data dir stays. */
  public void stop(String name) {
    TestNodes.shutdown(channels.remove(name));
    TallyNode node = running.remove(name);
    if (node != null) {
      node.close();
    }
  }

  /** Deletes a stopped node's data dir: it comes back empty, under a new replica id. */
  public void wipe(String name) {
    if (running.containsKey(name)) {
      throw new IllegalStateException("stop " + name + " before wiping it");
    }
    Path dir = slots.get(name).dir();
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public ManagedChannel channel(String name) {
    ManagedChannel c = channels.get(name);
    if (c == null) {
      throw new IllegalStateException("node " + name + " is not running");
    }
    return c;
  }

  public CounterServiceGrpc.CounterServiceBlockingStub stub(String name) {
    return CounterServiceGrpc.newBlockingStub(channel(name)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .withInterceptors(spec.stubInterceptors);
  }

  public ClusterStatusResponse status(String name) {
    return ClusterServiceGrpc.newBlockingStub(channel(name)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .withInterceptors(spec.stubInterceptors).clusterStatus(ClusterStatusRequest.getDefaultInstance());
  }

  /** Notes keys whose values {@link #dump} should show. */
  public void touch(String... keys) {
    touchedKeys.addAll(List.of(keys));
  }

  /** The LOCAL value of a key on a node. */
  public long value(String name, String key) {
    touchedKeys.add(key);
    return stub(name).get(GetRequest.newBuilder().setKey(key).build()).getValue();
  }

  /** The state {@code name} sees {@code member} in. */
  public MemberStatus.State stateSeenBy(String name, String member) {
    return status(name).getMembersList().stream().filter(m -> m.getName().equals(member)).findFirst()
        .map(MemberStatus::getState).orElse(MemberStatus.State.STATE_UNSPECIFIED);
  }

  /** Waits until every running node sees every other running node ALIVE. */
  public void awaitMembership() {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(() -> {
      for (String a : running.keySet()) {
        for (String b : running.keySet()) {
          if (!a.equals(b) && stateSeenBy(a, b) != MemberStatus.State.STATE_ALIVE) {
            return false;
          }
        }
      }
      return true;
    });
  }

  /** Waits until every running node holds exactly the expected value of every key. */
  public void awaitValues(Map<String, Long> expected) {
    touchedKeys.addAll(expected.keySet());
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
        .until(() -> running.keySet().stream().allMatch(n -> hasValues(n, expected)));
  }

  /** Waits until the named nodes hold exactly the expected values. */
  public void awaitValuesOn(List<String> nodes, Map<String, Long> expected) {
    touchedKeys.addAll(expected.keySet());
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
        .until(() -> nodes.stream().allMatch(n -> hasValues(n, expected)));
  }

  public boolean hasValues(String name, Map<String, Long> expected) {
    var stub = stub(name);
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      if (stub.get(GetRequest.newBuilder().setKey(e.getKey()).build()).getValue() != e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** Every running node's ClusterStatus and its values of the keys the test touched. */
  public String dump() {
    StringBuilder sb = new StringBuilder("in-process cluster under ").append(root).append(":\n");
    List<String> keys = new ArrayList<>(new TreeSet<>(touchedKeys));
    for (Slot s : slots.values()) {
      sb.append("  ").append(s.name()).append(" (").append(s.dc()).append(", client ").append(s.port())
          .append(", peer ").append(s.peerPort()).append(")");
      if (!running.containsKey(s.name())) {
        sb.append(": stopped\n");
        continue;
      }
      sb.append('\n');
      try {
        for (MemberStatus m : status(s.name()).getMembersList()) {
          sb.append(String.format("    %-6s %-5s %-13s replica %-16s lag %6d ms  pending %6d  repair %s%n", m.getName(),
              m.getDc(), m.getState(), m.getReplicaId(), m.getReplicationLagMs(), m.getPendingKeys(), m.getNeedsRepair()));
        }
        int shown = 0;
        for (String key : keys) {
          if (shown++ == 50) {
            sb.append("    ... ").append(keys.size() - 50).append(" more keys\n");
            break;
          }
          sb.append("    ").append(key).append(" = ")
              .append(stub(s.name()).get(GetRequest.newBuilder().setKey(key).build()).getValue()).append('\n');
        }
      } catch (RuntimeException e) {
        sb.append("    (unreadable: ").append(e).append(")\n");
      }
    }
    return sb.toString();
  }

  /** Stops every running node, all at once (each stop waits ~2 s for membership to wind down). */
  @Override
  public void close() {
    List<Thread> stopping = new ArrayList<>();
    for (String name : new ArrayList<>(running.keySet())) {
      Thread t = new Thread(() -> {
        try {
          stop(name);
        } catch (RuntimeException e) {
          System.err.println("closing " + name + " failed: " + e);
        }
      }, "stop-" + name);
      t.start();
      stopping.add(t);
    }
    for (Thread t : stopping) {
      try {
        t.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
