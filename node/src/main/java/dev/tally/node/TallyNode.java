package dev.tally.node;

import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.time.Clock;
import dev.tally.node.api.ClusterServiceImpl;
import dev.tally.node.api.CounterServiceImpl;
import dev.tally.node.api.Limits;
import dev.tally.node.api.WatchHub;
import dev.tally.node.cluster.NoPeerTransport;
import dev.tally.node.cluster.SelfOnlyClusterStatus;
import dev.tally.node.cluster.SingleNodeMembership;
import dev.tally.node.config.NodeConfig;
import dev.tally.node.metrics.MetricsHttpServer;
import dev.tally.node.metrics.RpcMetricsInterceptor;
import dev.tally.node.storage.DataDirException;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.node.write.GroupCommitWriter;
import dev.tally.node.write.ReplicaThread;
import io.grpc.BindableService;
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
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Tally node: opens the data directory, starts the replica thread, the group-commit writer,
 * the gRPC server (CounterService, ClusterService, health, reflection) and the metrics endpoint,
 * and stops them in the order that loses nothing.
 *
 * <p>Replication plugs in here: replace {@link SingleNodeMembership}, {@link NoPeerTransport} and
 * {@link SelfOnlyClusterStatus}, and add the peer service on {@code peer-port}.
 *
 * <p>Threads: {@link #start} and {@link #close} may be called from any thread; {@code close} is
 * idempotent and may race with itself (a shutdown hook and a test): the first caller stops the
 * node, later callers wait for it.
 */
public final class TallyNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TallyNode.class);
  private static final List<String> SERVICES =
      List.of("", "tally.v1.CounterService", "tally.v1.ClusterService");

  /** How the node is run, beyond its config. */
  public record Options(Clock clock, Duration shutdownGrace) {
    public Options {
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    }

    /** The system clock and 10 s for in-flight calls at shutdown. */
    public static Options defaults() {
      return new Options(Clock.SYSTEM, Duration.ofSeconds(10));
    }

    /** A clock for the engine and the dedupe window (tests advance a manual one). */
    public Options withClock(Clock c) {
      return new Options(c, shutdownGrace);
    }
  }

  private final NodeConfig config;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final Duration shutdownGrace;
  private RocksStateStore store;
  private ReplicaThread replicaThread;
  private GroupCommitWriter writer;
  private WatchHub watches;
  private HealthStatusManager health;
  private Server server;
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

    replicaThread = new ReplicaThread("tally-replica");
    watches = new WatchHub(replicaThread, store::get, config.maxWatchStreams(), registry);
    ReplicaConfig replicaConfig = ReplicaConfig.defaults(config.name(), config.dc(), store.replicaId())
        .withGossipInterval(config.gossipInterval())
        .withAntiEntropyInterval(config.antiEntropyInterval())
        .withQuorumTimeout(config.quorumTimeout());
    Replica replica = new Replica(replicaConfig, clock, replicaThread, store, new NoPeerTransport(),
        new SingleNodeMembership(config.name(), config.dc()), new SplittableRandom(), watches);
    writer = new GroupCommitWriter(replica, store, replicaThread, clock, config.dedupeWindow(),
        config.maxPendingWrites(), registry);
    writer.start();

    health = new HealthStatusManager();
    SERVICES.forEach(s -> health.setStatus(s, ServingStatus.NOT_SERVING));
    RpcMetricsInterceptor rpcMetrics = new RpcMetricsInterceptor(registry);
    List<BindableService> services = List.of(
        new CounterServiceImpl(replica, writer, watches),
        new ClusterServiceImpl(new SelfOnlyClusterStatus(config, store.replicaId(), this::clientPort)),
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
    log.info("tally node '{}' (dc {}, replica {}) serving gRPC on {}:{}{}", config.name(), config.dc(),
        ReplicaIds.format(store.replicaId()), config.host(), clientPort(),
        metricsServer == null ? ", metrics off" : ", metrics on http://" + config.host() + ":" + metricsServer.port() + "/metrics");
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
   * queued, and RocksDB is closed.
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
      if (server != null) {
        server.shutdown();
      }
      if (watches != null) {
        watches.closeAll();
      }
      awaitServer(server);
      if (writer != null) {
        writer.close();
      }
      if (replicaThread != null) {
        replicaThread.close();
      }
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
      log.info("tally node '{}' stopped", config.name());
    } finally {
      terminated.countDown();
    }
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
