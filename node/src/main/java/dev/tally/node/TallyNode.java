package dev.tally.node;

import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.identity.ReplicaClaims;
import dev.tally.gossip.identity.ReplicaIdAuthority;
import dev.tally.node.identity.StartIdentity;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.time.Clock;
import dev.tally.node.api.AdminServiceImpl;
import dev.tally.node.api.ClusterServiceImpl;
import dev.tally.node.auth.AuthInterceptor;
import dev.tally.node.auth.Credentials;
import dev.tally.node.auth.Role;
import dev.tally.node.auth.TokenFileException;
import dev.tally.node.auth.TokenStore;
import dev.tally.node.config.MetricsAuth;
import dev.tally.node.api.CallConnection;
import dev.tally.node.api.CounterServiceImpl;
import dev.tally.node.api.WatchLimits;
import dev.tally.node.api.QuorumContext;
import dev.tally.node.api.ReadExecutor;
import dev.tally.node.api.RequestParsing;
import dev.tally.node.api.WatchHub;
import dev.tally.node.cluster.ReplicatedClusterStatus;
import dev.tally.node.config.NodeConfig;
import dev.tally.node.membership.AtomixMembership;
import dev.tally.node.membership.KnownMembers;
import dev.tally.node.membership.MemberInfo;
import dev.tally.node.metrics.MetricsHttpServer;
import dev.tally.node.metrics.ReplicationMetrics;
import dev.tally.node.metrics.WriteMeters;
import dev.tally.node.metrics.RpcMetricsInterceptor;
import dev.tally.node.peer.ClusterIdInterceptors;
import dev.tally.node.peer.GrpcPeerTransport;
import dev.tally.node.peer.PeerServiceImpl;
import dev.tally.node.storage.DataDirException;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.node.storage.StoreHealth;
import dev.tally.gossip.write.GroupCommitWriter;
import dev.tally.gossip.failover.BackgroundResolver;
import dev.tally.gossip.failover.FailoverCoordinator;
import dev.tally.gossip.failover.ResolveResponder;
import dev.tally.gossip.failover.RetryHorizon;
import dev.tally.node.api.NodeNameHeader;
import dev.tally.node.config.FailoverResolution;
import dev.tally.node.metrics.FailoverMeters;
import dev.tally.peer.v1.NodeRef;
import java.util.Collection;
import java.util.function.Supplier;
import dev.tally.node.write.ReplicaThread;
import dev.tally.node.http.HttpGateway;
import dev.tally.node.tls.NodeTls;
import dev.tally.node.tls.TlsReloader;
import io.grpc.BindableService;
import io.grpc.ClientInterceptor;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.Counter;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * <p>Health: gRPC health (every service) and the metrics port's {@code /health} are SERVING only
 * while the node is up and its store takes writes; a full or failing disk turns them NOT_SERVING
 * until {@link StoreHealth} sees a write succeed again, reads served throughout.
 *
 * <p>Threads: {@link #start} and {@link #close} may be called from any thread; {@code close} is
 * idempotent and may race with itself (a shutdown hook and a test): the first caller stops the
 * node, later callers wait for it.
 */
public final class TallyNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TallyNode.class);
  private static final List<String> SERVICES =
      List.of("", "tally.v1.CounterService", "tally.v1.ClusterService", "tally.v1.AdminService");
  private static final Duration REPLICA_START_TIMEOUT = Duration.ofMinutes(5);
  /** A retried write's unreachable prior node is asked again after this, doubling up to the max. */
  private static final Duration FAILOVER_RETRY_MIN = Duration.ofMillis(500);
  private static final Duration FAILOVER_RETRY_MAX = Duration.ofSeconds(5);

  /** The first store probe after a failed write, and the longest wait between probes. */
  private static final Duration STORE_PROBE_MIN = Duration.ofSeconds(1);
  private static final Duration STORE_PROBE_MAX = Duration.ofSeconds(30);
  /** Under the data dir: the membership port's PKCS12 stores, rewritten at every start. */
  static final String MEMBERSHIP_TLS_DIR = "membership-tls";

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
   * @param storeWriteHook runs on the store's writer thread before each write (a test's disk fault)
   * @param storeReadHook runs on the reading thread before each store read (a test sees who reads)
   * @param replicaClaimTimeout how long a start waits for a majority of its peers to confirm its
   *     replica id before it takes a new one (see {@link StartIdentity})
   */
  public record Options(Clock clock, Duration shutdownGrace, List<ClientInterceptor> peerInterceptors,
      UnaryOperator<ReplicaConfig> replicaTuning, RocksStateStore.WriteHook storeWriteHook,
      RocksStateStore.ReadHook storeReadHook, Duration replicaClaimTimeout) {
    /** Long enough for a whole cluster restarted at once to find each other. */
    public static final Duration DEFAULT_REPLICA_CLAIM_TIMEOUT = Duration.ofSeconds(10);

    public Options {
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(shutdownGrace, "shutdownGrace");
      peerInterceptors = List.copyOf(peerInterceptors);
      Objects.requireNonNull(replicaTuning, "replicaTuning");
      Objects.requireNonNull(storeWriteHook, "storeWriteHook");
      Objects.requireNonNull(storeReadHook, "storeReadHook");
      Objects.requireNonNull(replicaClaimTimeout, "replicaClaimTimeout");
    }

    /** The system clock, 10 s for in-flight calls at shutdown, no peer interceptors, engine defaults, no store hook. */
    public static Options defaults() {
      return new Options(Clock.SYSTEM, Duration.ofSeconds(10), List.of(), UnaryOperator.identity(),
          RocksStateStore.WriteHook.NONE, RocksStateStore.ReadHook.NONE, DEFAULT_REPLICA_CLAIM_TIMEOUT);
    }

    /** A clock for the engine and the dedupe window (tests advance a manual one). */
    public Options withClock(Clock c) {
      return new Options(c, shutdownGrace, peerInterceptors, replicaTuning, storeWriteHook, storeReadHook,
          replicaClaimTimeout);
    }

    public Options withShutdownGrace(Duration d) {
      return new Options(clock, d, peerInterceptors, replicaTuning, storeWriteHook, storeReadHook, replicaClaimTimeout);
    }

    /** Adds an interceptor to every outbound peer call (a test's fault hook). */
    public Options withPeerInterceptor(ClientInterceptor interceptor) {
      List<ClientInterceptor> all = new ArrayList<>(peerInterceptors);
      all.add(Objects.requireNonNull(interceptor, "interceptor"));
      return new Options(clock, shutdownGrace, all, replicaTuning, storeWriteHook, storeReadHook, replicaClaimTimeout);
    }

    /** Adjusts the engine's settings after the config has filled them in. */
    public Options withReplicaTuning(UnaryOperator<ReplicaConfig> tuning) {
      return new Options(clock, shutdownGrace, peerInterceptors, tuning, storeWriteHook, storeReadHook,
          replicaClaimTimeout);
    }

    /** Runs {@code hook} on the store's writer thread before each write: a test fails writes with it as a full disk would. */
    public Options withStoreWriteHook(RocksStateStore.WriteHook hook) {
      return new Options(clock, shutdownGrace, peerInterceptors, replicaTuning, hook, storeReadHook, replicaClaimTimeout);
    }

    /** Runs {@code hook} on the reading thread before each store read: a test checks which threads read with it. */
    public Options withStoreReadHook(RocksStateStore.ReadHook hook) {
      return new Options(clock, shutdownGrace, peerInterceptors, replicaTuning, storeWriteHook, hook, replicaClaimTimeout);
    }

    public Options withReplicaClaimTimeout(Duration d) {
      return new Options(clock, shutdownGrace, peerInterceptors, replicaTuning, storeWriteHook, storeReadHook, d);
    }
  }

  private final NodeConfig config;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final Duration shutdownGrace;
  private RocksStateStore store;
  private StoreHealth storeHealth;
  private final Object healthLock = new Object();
  private ReplicaThread replicaThread;
  private AtomixMembership membership;
  private GrpcPeerTransport transport;
  private Replica replica;
  private GroupCommitWriter writer;
  private BackgroundResolver failoverResolver;
  /**
   * This node's clock (ms) from which its dedupe records are complete: 0, or the start that found
   * its dir may be an older copy (a peer saw a newer start). A wiped dir, or a copy taken while
   * the node ran, cannot tell it lost anything (docs/api.md says what that means for a retry).
   * Kept in the dir's meta, so later restarts remember it.
   */
  private volatile long remembersSince;
  private WatchHub watches;
  private ReadExecutor reads;
  private HealthStatusManager health;
  private Server server;
  private Server peerServer;
  private List<ServerServiceDefinition> serviceDefinitions = List.of();
  private MetricsHttpServer metricsServer;
  /** The HTTP/JSON gateway, or null when http-port is 0. */
  private HttpGateway http;
  /** The token file in force, or null when auth-tokens is not set. */
  private TokenStore tokens;
  /** Transport security, or null when tls-cert is not set. */
  private NodeTls tls;
  private PrometheusMeterRegistry registry;
  private volatile boolean serving;
  private volatile StartIdentity identity;
  private final ExecutorService claimExecutor = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "tally-replica-claims");
    t.setDaemon(true);
    return t;
  });

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
    // TLS files are read and checked first: a wrong file fails the start before anything is opened.
    tls = NodeTls.open(config, TlsReloader.DEFAULT_INTERVAL).orElse(null);
    if (tls != null) {
      resources.add(tls);
    }
    store = RocksStateStore.open(config.dataDir(), config.clusterId(), config.durability(), clock,
        options.storeWriteHook(), options.storeReadHook());
    storeHealth = new StoreHealth(store::probeWrite, clock, STORE_PROBE_MIN, STORE_PROBE_MAX);
    store.observeWrites(storeHealth);
    storeHealth.addListener(problem -> publishHealth());

    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("node", config.name(), "dc", config.dc());
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    resources.add(gc);
    if (tls != null) {
      tls.bindMetrics(registry);
    }
    storeGauge("tally.rocksdb.live.data.size", "bytes", "RocksDB's estimate of live data bytes", store::liveDataSizeBytes);
    storeGauge("tally.rocksdb.estimated.keys", null, "RocksDB's estimate of counter keys", store::estimatedCounterKeys);
    storeGauge("tally.dedupe.records", null, "RocksDB's estimate of stored dedupe records", store::estimatedDedupeRecords);
    Gauge.builder("tally.store.healthy", storeHealth, h -> h.healthy() ? 1 : 0).strongReference(true)
        .description("1 while the store takes writes, 0 while it refuses them (full or failing disk; see the log and /health)")
        .register(registry);

    replicaThread = new ReplicaThread("tally-replica-" + config.name());
    watches = new WatchHub(replicaThread, store::get, new WatchLimits(config.maxWatchStreams(),
        config.maxWatchStreamsPerConnection(), config.maxWatchKeysPerConnection(), config.maxWatchStreamsPerPrincipal(),
        config.maxWatchKeysPerPrincipal(), config.maxWatchPendingUpdates()), registry);
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
    boolean mutualPeers = tls != null && tls.mutualPeers();
    if (mutualPeers) {
      membership.requireNamedCertificates(tls::verifyPeerName);
    }
    transport = new GrpcPeerTransport(membership::peerAddress, config.peerTimeout(), peerInterceptors,
        mutualPeers ? tls::peerClientContext : null);
    membership.addListener(member -> {
      if (member.alive()) {
        transport.peerAlive(member.name());
      }
    });
    // Per-sender labels only for members: a made-up name from the wire goes under "unknown".
    ReplicationMetrics replicationMetrics = new ReplicationMetrics(registry, membership::isMember);
    ReplicaConfig replicaConfig = options.replicaTuning().apply(
        ReplicaConfig.defaults(config.name(), config.dc(), store.replicaId())
            .withGossipInterval(config.gossipInterval())
            .withAntiEntropyInterval(config.antiEntropyInterval())
            .withQuorumTimeout(config.quorumTimeout())
            .withMaxPeerMessageBytes(config.maxPeerMessageBytes())
            .withMaxEntriesPerKey(config.maxEntriesPerKey()));
    Counter runtimeIdChanges = Counter.builder("tally.replica.id.runtime.changes")
        .description("New replica ids taken while running because a peer held this node's own entry ahead of the local one")
        .register(registry);
    replica = new Replica(replicaConfig, clock, replicaThread, store, transport, membership, new SplittableRandom(),
        watches, replicationMetrics, new ReplicaIdAuthority() {
          @Override
          public boolean announced(long replicaId) {
            return membership.announced(replicaId);
          }

          @Override
          public long rotate(long current, String reason) {
            // As settleReplicaId does for a start that cannot prove its dir current: a new id,
            // durable before the next write, announced; and the dir may be older than the node's
            // last run, so its dedupe records are complete only from now.
            long fresh = store.rotateReplicaId();
            membership.announceReplicaId(fresh);
            runtimeIdChanges.increment();
            remembersSince = Math.max(remembersSince, clock.currentTimeMillis());
            store.recordRemembersSince(remembersSince);
            return fresh;
          }
        });
    replicationMetrics.readStatusFrom(replica::peerStatus);
    ReplicationMetrics.registerMemberGauges(registry, state -> {
      long n = membership.members().stream().filter(m -> m.state() == state).count();
      return state == MemberState.ALIVE ? n + 1 : n;
    });
    WriteMeters writeMeters = new WriteMeters(registry);
    writer = new GroupCommitWriter(replica, store, replicaThread, clock, config.dedupeWindow(),
        config.maxPendingWrites(), config.maxPendingWriteBytes(), writeMeters);
    WriteMeters.registerPending(registry, writer::pendingWrites);
    WriteMeters.registerPendingBytes(registry, writer::pendingWriteBytes);
    writer.refuseWritesUntilAccepted("confirming its replica id with its peers");
    writer.start();
    NodeRef selfRef = NodeRef.newBuilder().setName(config.name()).setDc(config.dc()).build();
    FailoverMeters failoverMeters = new FailoverMeters(registry);
    Supplier<Collection<String>> peerNames = () -> membership.members().stream().map(MemberInfo::name).toList();
    RetryHorizon horizon = RetryHorizon.forWindow(config.dedupeWindow());
    failoverResolver = new BackgroundResolver(selfRef, writer, store, transport::resolveRequest, replicaThread, clock,
        name -> peerNames.get().contains(name), failoverMeters, config.failoverResolveTimeout(),
        FAILOVER_RETRY_MIN, FAILOVER_RETRY_MAX, horizon);
    FailoverMeters.registerPending(registry, failoverResolver::pending);
    FailoverCoordinator failover = new FailoverCoordinator(selfRef, writer, transport::resolveRequest, peerNames,
        replica::onPushDelta, failoverResolver, failoverMeters, clock, horizon);
    startReplica();

    health = new HealthStatusManager();
    SERVICES.forEach(s -> health.setStatus(s, ServingStatus.NOT_SERVING));
    RpcMetricsInterceptor rpcMetrics = new RpcMetricsInterceptor(registry);
    reads = new ReadExecutor(config.name());
    QuorumContext quorum = new QuorumContext(config.name(), config.dc(), config.quorumTimeout(), membership::established);
    BindableService healthService = health.getHealthService();
    List<BindableService> services = List.of(
        new CounterServiceImpl(replica, writer, watches, quorum, storeHealth, reads, failover,
            config.failoverResolution() == FailoverResolution.WAIT, config.failoverResolveTimeout()),
        new ClusterServiceImpl(new ReplicatedClusterStatus(config, replica::replicaId, () -> identity == null ? "" : identity.change(),
            this::clientPort,
            membership::members, replica::peerStatus, failoverResolver::pending, writeMeters::writesApplied)),
        new AdminServiceImpl(store::exportCursor, reads),
        healthService,
        ProtoReflectionServiceV1.newInstance());
    NodeNameHeader nodeName = new NodeNameHeader(config.name());
    // Outermost first: the connection (per-connection Watch limits), then metrics, then auth
    // (innermost, so refusals are counted with their codes); health is never behind auth.
    if (config.authTokens() != null) {
      try {
        tokens = TokenStore.open(config.authTokens(), registry, TokenStore.DEFAULT_POLL);
      } catch (TokenFileException e) {
        throw new NodeStartException(e.getMessage() + " (fix the file or unset auth-tokens)", e);
      }
      AuthInterceptor auth = new AuthInterceptor(tokens::current, registry);
      serviceDefinitions = services.stream().map(s -> s == healthService
          ? ServerInterceptors.intercept(s, rpcMetrics, nodeName, CallConnection.INTERCEPTOR)
          : ServerInterceptors.intercept(s, auth, rpcMetrics, nodeName, CallConnection.INTERCEPTOR)).toList();
    } else {
      serviceDefinitions = services.stream()
          .map(s -> ServerInterceptors.intercept(s, rpcMetrics, nodeName, CallConnection.INTERCEPTOR)).toList();
    }

    NettyServerBuilder netty = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
        // Handlers never block and never read the store here: writes are queued for the replica
        // thread, reads for the ReadExecutor. Running them on the event loop saves writes two
        // thread hand-offs per call.
        .directExecutor()
        .maxInboundMessageSize(config.maxClientMessageBytes());
    if (tls != null) {
      netty.sslContext(tls.clientPortContext());
    }
    connectionLimits(netty);
    // Clients may ping as often as the SDK's smallest keepAliveTime; more often is a misbehaving
    // client and gets disconnected (gRPC's GOAWAY ENHANCE_YOUR_CALM).
    netty.permitKeepAliveTime(config.permitKeepaliveTime().toMillis(), TimeUnit.MILLISECONDS);
    // Guarded outermost, so interceptors (metrics, an embedder's) see the real request types: a
    // request that does not parse (invalid UTF-8 in a key) is INVALID_ARGUMENT, not UNKNOWN.
    serviceDefinitions.forEach(d -> netty.addService(RequestParsing.guard(d)));
    try {
      server = netty.build().start();
    } catch (IOException e) {
      throw new NodeStartException("cannot serve the client port on " + config.host() + ":" + config.port()
          + ": " + e.getMessage() + " (is another process using it? set port)", e);
    }
    NettyServerBuilder peers = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.peerPort()))
        // PeerService handlers only enqueue work on the replica thread and answer from there.
        .directExecutor()
        .maxInboundMessageSize(config.maxPeerInboundMessageBytes())
        .permitKeepAliveTime(GrpcPeerTransport.KEEPALIVE_TIME.toMillis() / 2, TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true)
        .addService(RequestParsing.guard(ServerInterceptors.intercept(new PeerServiceImpl(replica,
            new ReplicaClaims(store, config.name(), store::replicaId), claimExecutor,
            new ResolveResponder(selfRef, writer, store, () -> remembersSince)),
            peerInterceptors(mutualPeers))));
    if (mutualPeers) {
      peers.sslContext(tls.peerServerContext());
    }
    connectionLimits(peers);
    try {
      peerServer = peers.build().start();
    } catch (IOException e) {
      throw new NodeStartException("cannot serve the peer port on " + config.host() + ":" + config.peerPort()
          + ": " + e.getMessage() + " (is another process using it? set peer-port)", e);
    }
    startHttp();
    membership.start(clientPort(), mutualPeers ? tls.writeMembershipStores(config.dataDir().resolve(MEMBERSHIP_TLS_DIR)) : null);
    settleReplicaId(clock, options.replicaClaimTimeout());
    if (config.metricsPort() != 0) {
      try {
        metricsServer = MetricsHttpServer.start(config.metricsHost(), config.metricsPort(), registry,
            this::notServingReason, metricsAccess());
      } catch (IOException e) {
        throw new NodeStartException("cannot serve metrics on " + config.metricsHost() + ":" + config.metricsPort()
            + ": " + e.getMessage() + " (set metrics-host and metrics-port, or metrics-port 0 to disable it)", e);
      }
    }
    serving = true;
    publishHealth();
    log.info("tally node '{}' (dc {}, replica {}) serving gRPC on {}:{}, peers on {}:{} (membership :{}), advertised as {}{}{}",
        config.name(), config.dc(), ReplicaIds.format(store.replicaId()), config.host(), clientPort(), config.host(),
        config.peerPort(), config.membershipPort(), config.advertiseHost(),
        metricsServer == null ? ", metrics off" : ", metrics on http://" + config.metricsHost() + ":" + metricsServer.port()
            + "/metrics" + (config.metricsAuth() == MetricsAuth.TOKEN ? " (admin token)" : ""),
        http == null ? ", HTTP off" : ", HTTP/JSON on " + (tls == null ? "http" : "https") + "://" + config.host() + ":"
            + http.port());
  }

  /**
   * The HTTP/JSON port: the gateway serves the client port's own service definitions in-process
   * (guarded the same way), so an HTTP call meets the same interceptors as a gRPC one.
   */
  private void startHttp() {
    if (config.httpPort() == 0) {
      return;
    }
    HttpGateway.Settings settings = new HttpGateway.Settings(config.host(), config.httpPort(), serviceDefinitions,
        RequestParsing::guard, tls == null ? null : tls.keyManager(), tls == null ? null : tls.clientCaTrustManager(),
        config.httpCorsOrigins(), config.httpSseHeartbeat(), config.maxClientMessageBytes(),
        config.maxCallsPerConnection(), config.maxConnectionIdle(), config.handshakeTimeout(), config.keepaliveTime(),
        config.keepaliveTimeout(), version());
    try {
      http = HttpGateway.start(settings, registry);
    } catch (IOException e) {
      throw new NodeStartException("cannot serve HTTP on " + config.host() + ":" + config.httpPort() + ": " + e.getMessage()
          + " (is another process using it? set http-port, or http-port 0 to disable it)", e);
    }
  }

  private static String version() {
    String v = TallyNode.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** The bound HTTP/JSON port, or -1 when http-port is 0. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** HTTP connections open now on the HTTP port (tests), 0 when it is off. */
  public int openHttpConnections() {
    return http == null ? 0 : http.openConnections();
  }

  /**
   * What a connection to the client or peer port may hold: concurrent calls, and how long it may
   * stay silent (keepalive pings it; a dead one is closed), idle (no call open: closed
   * gracefully, a client reconnects on its next call) or in its handshake. No max connection age:
   * Watch streams are meant to live for hours, and forcing them to reconnect buys nothing here.
   */
  private void connectionLimits(NettyServerBuilder builder) {
    builder.maxConcurrentCallsPerConnection(config.maxCallsPerConnection())
        .keepAliveTime(config.keepaliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(config.keepaliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .maxConnectionIdle(config.maxConnectionIdle().toMillis(), TimeUnit.MILLISECONDS)
        .handshakeTimeout(config.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The peer port's interceptors, the last one outermost: with mutual TLS the caller's name is
   * checked against its certificate first, then the cluster id.
   */
  private List<ServerInterceptor> peerInterceptors(boolean mutualPeers) {
    List<ServerInterceptor> out = new ArrayList<>();
    out.add(ClusterIdInterceptors.server(config.clusterId()));
    if (mutualPeers) {
      out.add(tls.peerIdentityInterceptor());
    }
    return out;
  }

  /**
   * Decides whether this start may keep its data dir's replica id (a dir rolled back, copied or
   * not shut down cleanly may not), takes a new one if not, and only then lets writes in.
   */
  private void settleReplicaId(Clock clock, Duration timeout) {
    identity = StartIdentity.settle(config.name(), store, membership, transport, replicaThread, clock, timeout);
    Counter.builder("tally.replica.id.changes")
        .description("Starts that took a new replica id because the data dir could not be proven current")
        .register(registry).increment(identity.rotated() ? 1 : 0);
    if (identity.rotated()) {
      try {
        replica.useReplicaId(identity.replicaId()).get(REPLICA_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new NodeStartException("the replica did not take its new replica id: " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new NodeStartException("interrupted while switching the replica id", e);
      }
      membership.announceReplicaId(identity.replicaId());
    }
    remembersSince = store.remembersSince();
    if (identity.dirMayBeOld()) {
      remembersSince = Math.max(remembersSince, clock.currentTimeMillis());
      store.recordRemembersSince(remembersSince);
    }
    writer.acceptWrites();
    failoverResolver.start();
  }

  /**
   * Sets gRPC health from the node's state and the store's: SERVING only while the node is up and
   * its store takes writes. Called at start and on every store health change (its thread); the
   * lock makes the last caller's view of both the one that stands.
   */
  private void publishHealth() {
    synchronized (healthLock) {
      if (health == null) {
        return;
      }
      ServingStatus status = serving && storeHealth.healthy() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      SERVICES.forEach(s -> health.setStatus(s, status));
    }
  }

  /** Who may read /metrics: everyone, or (metrics-auth token) bearers of an admin token. */
  private MetricsHttpServer.Access metricsAccess() {
    if (config.metricsAuth() != MetricsAuth.TOKEN) {
      return MetricsHttpServer.Access.OPEN;
    }
    TokenStore t = tokens;
    return authorization -> Credentials.authenticate(t.current(), authorization == null ? "" : authorization, null)
        .map(e -> e.has(Role.ADMIN) ? 200 : 403).orElse(401);
  }

  /** The token file in force, or null when auth-tokens is not set (tests reload it with it). */
  public TokenStore tokens() {
    return tokens;
  }

  /** Why /health answers 503, or empty when the node serves. */
  private java.util.Optional<String> notServingReason() {
    if (!serving) {
      return java.util.Optional.of(closing.get() ? "the node is shutting down" : "the node is starting");
    }
    return storeHealth.problem().map(StoreHealth.Problem::describe);
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
   * them on another transport too, e.g. in-process for its exact flow control. Serve them through
   * {@link RequestParsing#guard} (outermost) to answer unparsable requests as the node does, with
   * INVALID_ARGUMENT. Whoever starts such a server stops it before {@link #close}.
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
        if (http != null) {
          http.stopAccepting();
        }
        if (server != null) {
          server.shutdown();
        }
        if (watches != null) {
          watches.closeAll();
        }
        if (http != null) {
          http.close(shutdownGrace);
        }
        awaitServer(server);
        if (reads != null) {
          reads.close();
        }
      });
      step("writer", () -> {
        if (failoverResolver != null) {
          failoverResolver.close();
        }
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
        if (tokens != null) {
          tokens.close();
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
        claimExecutor.shutdownNow();
        if (storeHealth != null) {
          storeHealth.close();
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
