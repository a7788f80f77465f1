package dev.tally.node;

import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.time.Clock;
import dev.tally.node.api.ClusterServiceImpl;
import dev.tally.node.api.CounterServiceImpl;
import dev.tally.node.api.Limits;
import dev.tally.node.api.QuorumContext;
import dev.tally.node.api.WatchHub;
import dev.tally.node.cluster.ReplicatedClusterStatus;
import dev.tally.node.config.NodeConfig;
import dev.tally.node.membership.AtomixMembership;
import dev.tally.node.membership.KnownMembers;
import dev.tally.node.metrics.MetricsHttpServer;
import dev.tally.node.metrics.ReplicationMetrics;
import dev.tally.node.metrics.WriteMeters;
import dev.tally.node.metrics.RpcMetricsInterceptor;
import dev.tally.node.peer.ClusterIdInterceptors;
import dev.tally.node.peer.GrpcPeerTransport;
import dev.tally.node.peer.PeerServiceImpl;
import dev.tally.node.storage.DataDirException;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.gossip.write.GroupCommitWriter;
import dev.tally.node.write.ReplicaThread;
import io.grpc.BindableService;
import io.grpc.ClientInterceptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Tally node: opens the data directory, starts the replica thread, the group-commit writer, the
 * replication engine, the client gRPC server (CounterService, ClusterService, health, reflection),
 * the peer gRPC server (PeerService on {@code peer-port}), cluster membership (on
 * {@code peer-port + 1}) and the metrics endpoint, and stops them in the order that loses nothing.
 *
 * <p>Start order: store, replica thread, membership (remembered members only), transport, replica
 * (its digest tree is built before anything is served), writer, client port, peer port, then
 * membership joins (so peers that learn of this node find its peer port open), then metrics and
 * health SERVING. Close runs the other way: health NOT_SERVING, client calls finish (QUORUM ones
 * included), queued writes are committed, membership leaves, the peer port closes, then the
 * replica, transport, replica thread and store.
 *
 * <p>Threads: {@link #start} and {@link #close} may be called from any thread; {@code close} is
 * idempotent and may race with itself (a shutdown hook and a test): the first caller stops the
 * node, later callers wait for it.
 */
public final class TallyNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TallyNode.class);
  private static final List<String> SERVICES =
      List.of("", "tally.v1.CounterService", "tally.v1.ClusterService");
  private static final Duration REPLICA_START_TIMEOUT = Duration.ofMinutes(5);

  /**
   * How the node is run, beyond its config.
   *
   * @param clock the engine's and the dedupe window's clock
   * @param shutdownGrace how long in-flight client calls may take at shutdown
   * @param peerInterceptors extra interceptors on every outbound peer call, after the cluster-id
   *     stamp: a test's fault hook (see {@link dev.tally.node.peer.PeerHeaders#TARGET_PEER} for the
   *     peer a call goes to)
   * @param replicaTuning adjusts the engine's settings beyond the config keys (tests shrink buffer
   *     limits or the digest tree with it)
   */
  public record Options(Clock clock, Duration shutdownGrace, List<ClientInterceptor> peerInterceptors,
      UnaryOperator<ReplicaConfig> replicaTuning) {
    public Options {
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(shutdownGrace, "shutdownGrace");
      peerInterceptors = List.copyOf(peerInterceptors);
      Objects.requireNonNull(replicaTuning, "replicaTuning");
    }

    /** The system clock, 10 s for in-flight calls at shutdown, no peer interceptors, engine defaults. */
    public static Options defaults() {
      return new Options(Clock.SYSTEM, Duration.ofSeconds(10), List.of(), UnaryOperator.identity());
    }

    /** A clock for the engine and the dedupe window (tests advance a manual one). */
    public Options withClock(Clock c) {
      return new Options(c, shutdownGrace, peerInterceptors, replicaTuning);
    }

    public Options withShutdownGrace(Duration d) {
      return new Options(clock, d, peerInterceptors, replicaTuning);
    }

    /** Adds an interceptor to every outbound peer call (a test's fault hook). */
    public Options withPeerInterceptor(ClientInterceptor interceptor) {
      List<ClientInterceptor> all = new ArrayList<>(peerInterceptors);
      all.add(Objects.requireNonNull(interceptor, "interceptor"));
      return new Options(clock, shutdownGrace, all, replicaTuning);
    }

    /** Adjusts the engine's settings after the config has filled them in. */
    public Options withReplicaTuning(UnaryOperator<ReplicaConfig> tuning) {
      return new Options(clock, shutdownGrace, peerInterceptors, tuning);
    }
  }

  private final NodeConfig config;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final Duration shutdownGrace;
  private RocksStateStore store;
  private ReplicaThread replicaThread;
  private AtomixMembership membership;
  private GrpcPeerTransport transport;
  private Replica replica;
  private GroupCommitWriter writer;
  private WatchHub watches;
  private HealthStatusManager health;
  private Server server;
  private Server peerServer;
  private List<ServerServiceDefinition> serviceDefinitions = List.of();
  private MetricsHttpServer metricsServer;
  private PrometheusMeterRegistry registry;
  private volatile boolean serving;

  private TallyNode(NodeConfig config, Duration shutdownGrace) {
    this.config = config;
    this.shutdownGrace = shutdownGrace;
  }

  public static TallyNode start(NodeConfig config) {
    return start(config, Options.defaults());
  }

  /**
   * Starts a node and returns once it is serving.
   *
   * @throws DataDirException if the data directory is refused
   * @throws NodeStartException if a port cannot be bound or another start-up step fails
   */
  public static TallyNode start(NodeConfig config, Options options) {
    TallyNode node = new TallyNode(config, options.shutdownGrace());
    try {
      node.startAll(options);
      return node;
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
  }

  private void startAll(Options options) {
    Clock clock = options.clock();
    store = RocksStateStore.open(config.dataDir(), config.clusterId(), config.durability(), clock);

    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("node", config.name(), "dc", config.dc());
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    resources.add(gc);
    storeGauge("tally.rocksdb.live.data.size", "bytes", "RocksDB's estimate of live data bytes", store::liveDataSizeBytes);
    storeGauge("tally.rocksdb.estimated.keys", null, "RocksDB's estimate of counter keys", store::estimatedCounterKeys);
    storeGauge("tally.dedupe.records", null, "RocksDB's estimate of stored dedupe records", store::estimatedDedupeRecords);

    replicaThread = new ReplicaThread("tally-replica-" + config.name());
    watches = new WatchHub(replicaThread, store::get, config.maxWatchStreams(), registry);
    membership = new AtomixMembership(config, store.replicaId(), new KnownMembers() {
      @Override
      public Map<String, String> load() {
        return store.knownMembers();
      }

      @Override
      public void remember(String name, String dc) {
        store.rememberMember(name, dc);
      }
    });
    List<ClientInterceptor> peerInterceptors = new ArrayList<>();
    peerInterceptors.add(ClusterIdInterceptors.client(config.clusterId(), config.name()));
    peerInterceptors.addAll(options.peerInterceptors());
    transport = new GrpcPeerTransport(membership::peerAddress, config.peerTimeout(), peerInterceptors);
    membership.addListener(member -> {
      if (member.alive()) {
        transport.peerAlive(member.name());
      }
    });
    ReplicationMetrics replicationMetrics = new ReplicationMetrics(registry);
    ReplicaConfig replicaConfig = options.replicaTuning().apply(
        ReplicaConfig.defaults(config.name(), config.dc(), store.replicaId())
            .withGossipInterval(config.gossipInterval())
            .withAntiEntropyInterval(config.antiEntropyInterval())
            .withQuorumTimeout(config.quorumTimeout())
            .withMaxPeerMessageBytes(config.maxPeerMessageBytes()));
    replica = new Replica(replicaConfig, clock, replicaThread, store, transport, membership, new SplittableRandom(),
        watches, replicationMetrics);
    replicationMetrics.readStatusFrom(replica::peerStatus);
    ReplicationMetrics.registerMemberGauges(registry, state -> {
      long n = membership.members().stream().filter(m -> m.state() == state).count();
      return state == MemberState.ALIVE ? n + 1 : n;
    });
    writer = new GroupCommitWriter(replica, store, replicaThread, clock, config.dedupeWindow(),
        config.maxPendingWrites(), new WriteMeters(registry));
    WriteMeters.registerPending(registry, writer::pendingWrites);
    writer.start();
    startReplica();

    health = new HealthStatusManager();
    SERVICES.forEach(s -> health.setStatus(s, ServingStatus.NOT_SERVING));
    RpcMetricsInterceptor rpcMetrics = new RpcMetricsInterceptor(registry);
    QuorumContext quorum = new QuorumContext(config.name(), config.dc(), config.quorumTimeout(), membership::established);
    List<BindableService> services = List.of(
        new CounterServiceImpl(replica, writer, watches, quorum),
        new ClusterServiceImpl(new ReplicatedClusterStatus(config, store.replicaId(), this::clientPort,
            membership::members, replica::peerStatus)),
        health.getHealthService(),
        ProtoReflectionServiceV1.newInstance());
    serviceDefinitions = services.stream().map(s -> ServerInterceptors.intercept(s, rpcMetrics)).toList();

    NettyServerBuilder netty = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
        // Handlers never block: writes are queued for the replica thread, reads are RocksDB point
        // reads. Running them on the event loop saves two thread hand-offs per call.
        .directExecutor()
        .maxInboundMessageSize(Limits.MAX_INBOUND_MESSAGE_BYTES);
    serviceDefinitions.forEach(netty::addService);
    try {
      server = netty.build().start();
    } catch (IOException e) {
      throw new NodeStartException("cannot serve the client port on " + config.host() + ":" + config.port()
          + ": " + e.getMessage() + " (is another process using it? set port)", e);
    }
    NettyServerBuilder peers = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.peerPort()))
        // PeerService handlers only enqueue work on the replica thread and answer from there.
        .directExecutor()
        .maxInboundMessageSize(Limits.MAX_INBOUND_MESSAGE_BYTES)
        .permitKeepAliveTime(GrpcPeerTransport.KEEPALIVE_TIME.toMillis() / 2, TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true)
        .addService(ServerInterceptors.intercept(new PeerServiceImpl(replica),
            ClusterIdInterceptors.server(config.clusterId())));
    try {
      peerServer = peers.build().start();
    } catch (IOException e) {
      throw new NodeStartException("cannot serve the peer port on " + config.host() + ":" + config.peerPort()
          + ": " + e.getMessage() + " (is another process using it? set peer-port)", e);
    }
    membership.start(clientPort());
    if (config.metricsPort() != 0) {
      try {
        metricsServer = MetricsHttpServer.start(config.host(), config.metricsPort(), registry, () -> serving);
      } catch (IOException e) {
        throw new NodeStartException("cannot serve metrics on " + config.host() + ":" + config.metricsPort()
            + ": " + e.getMessage() + " (set metrics-port, or 0 to disable it)", e);
      }
    }
    SERVICES.forEach(s -> health.setStatus(s, ServingStatus.SERVING));
    serving = true;
    log.info("tally node '{}' (dc {}, replica {}) serving gRPC on {}:{}, peers on {}:{} (membership :{}), advertised as {}{}",
        config.name(), config.dc(), ReplicaIds.format(store.replicaId()), config.host(), clientPort(), config.host(),
        config.peerPort(), config.membershipPort(), config.advertiseHost(),
        metricsServer == null ? ", metrics off" : ", metrics on http://" + config.host() + ":" + metricsServer.port() + "/metrics");
  }

  /** Builds the digest tree from the store (one scan) and starts the engine's timers. */
  private void startReplica() {
    try {
      replica.start().get(REPLICA_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new NodeStartException("the replication engine did not start: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new NodeStartException("the replication engine did not start within " + REPLICA_START_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NodeStartException("interrupted while starting the replication engine", e);
    }
  }

  private void storeGauge(String name, String unit, String description, LongSupplier value) {
    Gauge.builder(name, () -> {
      try {
        return value.getAsLong();
      } catch (StoreException e) {
        return Double.NaN; // closed during shutdown
      }
    }).baseUnit(unit).description(description).register(registry);
  }

  public NodeConfig config() {
    return config;
  }

  /**
   * The node's gRPC services as served (with metrics), so an embedding program or a test can serve
   * them on another transport too, e.g. in-process for its exact flow control. Whoever starts such
   * a server stops it before {@link #close}.
   */
  public List<ServerServiceDefinition> serviceDefinitions() {
    return serviceDefinitions;
  }

  /** The bound client gRPC port (the configured one, or the one picked for port 0). */
  public int clientPort() {
    return server == null ? config.port() : server.getPort();
  }

  /** The bound metrics port, or -1 when metrics are off. */
  public int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.port();
  }

  public long replicaId() {
    return store.replicaId();
  }

  /** The peer (node-to-node) port; membership listens on the next one. */
  public int peerPort() {
    return config.peerPort();
  }

  /** Watch streams open now. */
  public int openWatchStreams() {
    return watches == null ? 0 : watches.openStreams();
  }

  public boolean isServing() {
    return serving;
  }

  /** Waits until the node has stopped (after {@link #close}, from any thread). */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /**
   * Graceful stop: health turns NOT_SERVING, no new calls are accepted, Watch streams end with
   * UNAVAILABLE, in-flight calls finish (up to the shutdown grace), the writer commits everything
   * queued, membership leaves (peers see it as a crash: Atomix has no goodbye), the peer port
   * closes, the engine stops (changes not yet pushed reach peers by anti-entropy later), and
   * RocksDB is closed.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      try {
        terminated.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      serving = false;
      if (health != null) {
        health.enterTerminalState();
      }
      // Leave first, so peers stop sending here as early as possible; its port is awaited last.
      if (membership != null) {
        membership.closeAsync();
      }
      step("client calls", () -> {
        if (server != null) {
          server.shutdown();
        }
        if (watches != null) {
          watches.closeAll();
        }
        awaitServer(server);
      });
      step("writer", () -> {
        if (writer != null) {
          writer.close();
        }
      });
      step("peer port", () -> {
        if (peerServer != null) {
          peerServer.shutdown();
          try {
            if (!peerServer.awaitTermination(config.peerTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
              peerServer.shutdownNow();
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            peerServer.shutdownNow();
          }
        }
      });
      step("replica", () -> {
        if (replica != null) {
          replica.close();
        }
        if (transport != null) {
          transport.close();
        }
        if (replicaThread != null) {
          replicaThread.close();
        }
      });
      step("membership", () -> {
        if (membership != null) {
          membership.awaitClosed(Duration.ofSeconds(10));
        }
      });
      step("metrics and store", () -> {
        if (metricsServer != null) {
          metricsServer.close();
        }
        for (AutoCloseable r : resources) {
          try {
            r.close();
          } catch (Exception e) {
            log.debug("closing {} failed", r, e);
          }
        }
        if (registry != null) {
          registry.close();
        }
        if (store != null) {
          store.close();
        }
      });
      log.info("tally node '{}' stopped", config.name());
    } finally {
      terminated.countDown();
    }
  }

  /** Runs one shutdown step, logging (at debug) how long it took: a slow stop shows where it waits. */
  private void step(String what, Runnable body) {
    long start = System.nanoTime();
    try {
      body.run();
    } catch (RuntimeException e) {
      log.warn("stopping the {} of node '{}' failed; carrying on", what, config.name(), e);
    }
    log.debug("stopped the {} of node '{}' in {} ms", what, config.name(), (System.nanoTime() - start) / 1_000_000);
  }

  private void awaitServer(Server s) {
    if (s == null) {
      return;
    }
    try {
      if (!s.awaitTermination(shutdownGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("calls still running after {}; cancelling them", shutdownGrace);
        s.shutdownNow();
        s.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      s.shutdownNow();
    }
  }
}
