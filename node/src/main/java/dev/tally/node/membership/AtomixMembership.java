package dev.tally.node.membership;

import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.membership.Membership;
import dev.tally.node.NodeStartException;
import dev.tally.node.config.HostPort;
import dev.tally.node.config.NodeConfig;
import dev.tally.node.tls.MembershipStores;
import io.atomix.cluster.AtomixCluster;
import io.atomix.cluster.AtomixClusterBuilder;
import io.atomix.cluster.ClusterMembershipEvent;
import io.atomix.cluster.Node;
import io.atomix.cluster.discovery.BootstrapDiscoveryProvider;
import io.atomix.cluster.protocol.HeartbeatMembershipProtocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster membership over Atomix's {@link HeartbeatMembershipProtocol} (not SWIM, which does not
 * notice a hung member; see NOTES.md). Each node is an Atomix member named after the node, listening
 * on {@code peer-port + 1} (TCP and UDP) bound to the node's {@code host} only, and carrying its dc,
 * cluster id, client and peer addresses and replica id as properties. Seeds are given as
 * {@code host:peer-port}; their membership address is {@code host:peer-port+1}.
 *
 * <p>States: a member is ALIVE while heartbeats reach it, SUSPECT from its first failed heartbeat
 * (the engine stops sending to it), and DEAD once it stayed suspect for {@code failure-timeout}.
 * Only this node's own timer declares a member dead: Atomix is told never to remove one. When
 * Atomix removed a member itself, a peer that had not yet noticed the failure listed it as
 * reachable in its next heartbeat reply, Atomix added it back (ALIVE), and the peers kept handing
 * the stale view to each other: a hung member (SIGSTOP, a long GC pause) flapped between DEAD and
 * ALIVE for as long as it hung (the chaos suite's paused-node scenario found it). Kept in Atomix's
 * table, an unreachable member becomes reachable again only through a heartbeat that reaches it
 * (or a peer's newer such observation), so a hung member stays suspect, then dead, until it answers. A member is never forgotten: every member ever seen is remembered in the
 * data dir ({@link KnownMembers}) and listed (DEAD until heard from) after a restart, so quorum sizes
 * are right from the first moment. Members of another cluster id are ignored (Atomix already drops
 * their connections: its handshake carries a hash of the cluster id; the property check covers a
 * hash collision).
 *
 * <h2>Concurrency</h2>
 *
 * One thread of its own ({@code events}) applies every Atomix event and suspicion timer, writes
 * {@code members} and {@code foreign}, persists new members and calls the listeners, so listeners
 * see each member's changes in order. {@code members} is a concurrent map read from any thread
 * ({@link #peers}, {@link #members}); {@code established}, {@code cluster} and {@code closed} are
 * volatile; {@code stopping} is guarded by the instance lock (held only to start Atomix's stop,
 * which returns at once). Listeners run on the events thread and must not
 * block.
 */
public final class AtomixMembership implements Membership, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AtomixMembership.class);

  static final String PROP_DC = "tally.dc";
  static final String PROP_CLUSTER_ID = "tally.cluster-id";
  static final String PROP_CLIENT_ADDRESS = "tally.client-address";
  static final String PROP_PEER_ADDRESS = "tally.peer-address";
  static final String PROP_REPLICA_ID = "tally.replica-id";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  /**
   * Atomix's removal timeout for a member never heard from: about a century, i.e. never. With
   * the phi threshold at its maximum, Atomix removes no member on its own.
   */
  static final Duration ATOMIX_NEVER_REMOVES = Duration.ofDays(36_500);

  private final NodeConfig config;
  /** The id announced at start: the latest {@link #announceReplicaId}, so one taken before start is not lost. */
  private volatile long replicaId;
  private final KnownMembers known;
  private final Member self;
  private final List<HostPort> seeds;
  private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, MemberInfo> members = new ConcurrentHashMap<>();
  /**
   * Every replica id a member (this node included) announced since this process started: what
   * peer input's entries are checked against. In memory only; after a restart an id retired
   * before it is unknown again, which matters little: only entries new to this node are counted.
   */
  private final java.util.Set<Long> announcedReplicaIds = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService events;

  // events thread only
  private final Map<String, ScheduledFuture<?>> suspicions = new HashMap<>();
  private final Set<String> foreign = new HashSet<>();
  /** Names whose peer-port certificate was seen to name them (with a {@link NameCheck} only). */
  private final Set<String> verified = new HashSet<>();
  /** Names with a check running or scheduled. */
  private final Set<String> checking = new HashSet<>();
  private final Set<String> unnamedWarned = new HashSet<>();

  /**
   * Proves that the node reached at a member's peer address holds a certificate naming that
   * member (a TLS handshake; see {@code dev.tally.node.tls.NodeTls#verifyPeerName}). Called off the
   * events thread's critical path: the future completes on any thread.
   */
  public interface NameCheck {
    CompletableFuture<Boolean> verify(String name, HostPort peerAddress);
  }

  /** Retry interval of a failed name check (the member may have been starting). */
  private static final Duration NAME_CHECK_RETRY = Duration.ofSeconds(2);
  private volatile NameCheck nameCheck;

  private volatile boolean established;
  private volatile AtomixCluster cluster;
  private volatile boolean closed;
  private CompletableFuture<Void> stopping; // guarded by this

  /**
   * Loads the remembered members; nothing listens until {@link #start}.
   *
   * @param replicaId this node's replica id, published to the other members
   */
  public AtomixMembership(NodeConfig config, long replicaId, KnownMembers known) {
    this.config = Objects.requireNonNull(config, "config");
    this.replicaId = replicaId;
    announcedReplicaIds.add(replicaId);
    this.known = Objects.requireNonNull(known, "known");
    this.self = new Member(config.name(), config.dc(), MemberState.ALIVE);
    this.seeds = config.seeds().stream().filter(s -> !isSelf(s)).toList();
    for (Map.Entry<String, String> e : known.load().entrySet()) {
      if (!e.getKey().equals(config.name())) {
        members.put(e.getKey(), MemberInfo.remembered(e.getKey(), e.getValue()));
      }
    }
    // A node with no one to join is a cluster of one by configuration; one that remembers members
    // knows its DC's size. Otherwise QUORUM waits until some member was heard from.
    this.established = seeds.isEmpty() || !members.isEmpty();
    this.events = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tally-membership-" + config.name());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Joins the cluster: binds {@code host:peer-port+1} and starts heartbeating the seeds.
   *
   * @param clientPort the bound client port, published as the member's client address
   * @throws NodeStartException if the membership port cannot be bound
   */
  public void start(int clientPort) {
    start(clientPort, null);
  }

  /**
   * Joins the cluster as {@link #start(int)} does, with mutual TLS on the membership port when
   * {@code tls} is given: Atomix then accepts only connections presenting a certificate chained to
   * the trust store and presents the key store's. Atomix cannot reload them: a rotated
   * certificate is used here from the next restart.
   */
  /**
   * With mutual TLS: a member never seen before is counted (listed, persisted, in QUORUM sizes,
   * sent to) only once {@code check} confirmed its peer-port certificate names it; members
   * remembered from an earlier run were checked then. Call before {@link #start}.
   */
  public void requireNamedCertificates(NameCheck check) {
    this.nameCheck = Objects.requireNonNull(check, "check");
  }

  public void start(int clientPort, MembershipStores tls) {
    Properties props = new Properties();
    props.setProperty(PROP_DC, config.dc());
    props.setProperty(PROP_CLUSTER_ID, config.clusterId());
    props.setProperty(PROP_CLIENT_ADDRESS, new HostPort(config.advertiseHost(), clientPort).toString());
    props.setProperty(PROP_PEER_ADDRESS, new HostPort(config.advertiseHost(), config.peerPort()).toString());
    props.setProperty(PROP_REPLICA_ID, ReplicaIds.format(replicaId));
    List<Node> bootstrap = new ArrayList<>();
    for (HostPort seed : seeds) {
      // Seeds are known by address only; their member ids arrive with their first heartbeat reply.
      bootstrap.add(Node.builder().withId("seed-" + seed).withAddress(seed.host(), seed.port() + 1).build());
    }
    AtomixClusterBuilder builder = AtomixCluster.builder();
    if (tls != null) {
      // Atomix falls back to plaintext when a store does not load (it logs and carries on), so the
      // stores are written and checked by NodeTls just before this.
      builder.withTlsEnabled(true)
          .withKeyStore(tls.keyStore().toString()).withKeyStorePassword(tls.password())
          .withTrustStore(tls.trustStore().toString()).withTrustStorePassword(tls.password());
    }
    AtomixCluster c = builder
        .withClusterId(config.clusterId())
        .withMemberId(config.name())
        .withAddress(config.advertiseHost(), config.membershipPort())
        // Bind only the node's own host: Atomix would listen on 0.0.0.0 otherwise.
        .withMessagingInterface(config.host())
        .withMessagingPort(config.membershipPort())
        .withProperties(props)
        .withMembershipProvider(BootstrapDiscoveryProvider.builder().withNodes(bootstrap).build())
        .withMembershipProtocol(HeartbeatMembershipProtocol.builder()
            .withHeartbeatInterval(config.heartbeatInterval())
            // Atomix never removes a member (see the class comment): the suspicion timer decides.
            .withFailureTimeout(ATOMIX_NEVER_REMOVES)
            .withFailureThreshold(Integer.MAX_VALUE)
            .build())
        .build();
    c.getMembershipService().addListener(this::onAtomixEvent);
    cluster = c;
    try {
      c.start().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new NodeStartException("cannot start membership on " + config.host() + ":" + config.membershipPort()
          + " (peer-port + 1, TCP and UDP): " + cause + " (is another process using it? set peer-port)", cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NodeStartException("interrupted while starting membership", e);
    }
    log.info("membership of '{}' listening on {}:{}{} (advertised as {}:{}), seeds {}, heartbeat {} ms, failure timeout {} ms",
        config.name(), config.host(), config.membershipPort(), tls == null ? "" : " with mutual TLS", config.advertiseHost(), config.membershipPort(),
        seeds.isEmpty() ? "none (a cluster of one until others join it)" : seeds,
        config.heartbeatInterval().toMillis(), config.failureTimeout().toMillis());
  }

  @Override
  public Member self() {
    return self;
  }

  @Override
  public Collection<Member> peers() {
    List<Member> out = new ArrayList<>(members.size());
    for (MemberInfo m : members.values()) {
      out.add(m.member());
    }
    return out;
  }

  @Override
  public void addListener(MembershipListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Every other member ever seen, in name order. Any thread. */
  /** Whether this node has other seeds to join, or remembers other members. Any thread. */
  public boolean hasPeers() {
    return !seeds.isEmpty() || !members.isEmpty();
  }

  /**
   * Publishes a new replica id to the other members (the node took one at start). Any thread;
   * after {@link #start}.
   */
  public void announceReplicaId(long id) {
    announcedReplicaIds.add(id);
    replicaId = id;
    AtomixCluster c = cluster;
    if (c != null) {
      c.getMembershipService().getLocalMember().properties().setProperty(PROP_REPLICA_ID, ReplicaIds.format(id));
    }
  }

  /** Any thread: some member (this node included) announced {@code id} since this process started. */
  public boolean announced(long id) {
    return announcedReplicaIds.contains(id);
  }

  /** Any thread: {@code name} is this node or a member it has seen (alive or not). */
  public boolean isMember(String name) {
    return name.equals(config.name()) || members.containsKey(name);
  }

  public List<MemberInfo> members() {
    List<MemberInfo> out = new ArrayList<>(members.values());
    out.sort(Comparator.comparing(MemberInfo::name));
    return out;
  }

  /** The member's peer address, if it has announced one. Any thread. */
  public Optional<HostPort> peerAddress(String name) {
    MemberInfo m = members.get(name);
    return m == null ? Optional.empty() : m.peer();
  }

  /**
   * True once this node knows its DC's size: it was told of no one to join (a cluster of one), it
   * remembers members from an earlier run, or it has heard from a member. Until then a QUORUM call
   * would count a DC of one and must not be answered. Any thread.
   */
  public boolean established() {
    return established;
  }

  /**
   * Starts leaving: stops heartbeating and closes the membership port; peers see this as a crash
   * (Atomix has no goodbye). No listener is called once this was called. Atomix closes its port
   * within milliseconds and then lets its event loops idle out for a quiet period of about 2 s;
   * {@link #awaitClosed} waits for the port only. Idempotent.
   */
  public void closeAsync() {
    synchronized (this) {
      if (stopping != null) {
        return;
      }
      closed = true;
      events.shutdownNow();
      AtomixCluster c = cluster;
      stopping = c == null ? CompletableFuture.completedFuture(null) : c.stop();
    }
    stopping.whenComplete((v, e) -> log.debug("membership of '{}' stopped{}", config.name(), e == null ? "" : ": " + e));
  }

  /**
   * Waits (up to {@code timeout}) until the membership port accepts no more connections, so a new
   * node may bind it, or Atomix has stopped entirely, whichever comes first.
   */
  public void awaitClosed(Duration timeout) {
    CompletableFuture<Void> s;
    synchronized (this) {
      s = stopping;
    }
    if (s == null || cluster == null) {
      return;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    String host = NodeConfig.isWildcard(config.host()) ? InetAddress.getLoopbackAddress().getHostAddress() : config.host();
    while (!s.isDone() && System.nanoTime() < deadline) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(host, config.membershipPort()), 100);
      } catch (IOException refused) {
        return; // nothing listens any more: the port is free
      }
      try {
        s.get(20, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // still winding down: probe again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    if (!s.isDone() && System.nanoTime() >= deadline) {
      log.warn("membership of '{}' still listens on {} after {}", config.name(), config.membershipPort(), timeout);
    }
  }

  /** {@link #closeAsync} and {@link #awaitClosed}. */
  @Override
  public void close() {
    closeAsync();
    awaitClosed(STOP_TIMEOUT);
  }

  // ---------------------------------------------------------------- events thread

  private void onAtomixEvent(ClusterMembershipEvent event) {
    execute(() -> apply(event.type(), event.subject()));
  }

  private void execute(Runnable task) {
    if (closed) {
      return;
    }
    try {
      events.execute(() -> {
        if (closed) {
          return;
        }
        try {
          task.run();
        } catch (RuntimeException e) {
          log.error("membership event failed; carrying on", e);
        }
      });
    } catch (RejectedExecutionException e) {
      log.debug("membership closed; dropped an event");
    }
  }

  private void apply(ClusterMembershipEvent.Type type, io.atomix.cluster.Member m) {
    String name = m.id().id();
    if (name.equals(config.name())) {
      return;
    }
    MemberInfo current = members.get(name);
    long now = System.currentTimeMillis();
    switch (type) {
      case MEMBER_REMOVED:
        if (current != null) {
          update(current.withState(MemberState.DEAD, now));
        }
        return;
      case MEMBER_ADDED:
      case METADATA_CHANGED:
      case REACHABILITY_CHANGED:
      default:
        MemberInfo fresh = foreignCheck(name, m);
        if (fresh == null) {
          return;
        }
        if (current == null && !nameChecked(name, fresh.peer())) {
          return; // counted once its certificate is seen to name it
        }
        MemberState state = m.isReachable() ? MemberState.ALIVE : MemberState.SUSPECT;
        if (current != null && current.state() == MemberState.DEAD && state == MemberState.SUSPECT) {
          state = MemberState.DEAD; // already judged; an unreachable report does not revive it
        }
        boolean changed = current == null || current.state() != state || !current.dc().equals(fresh.dc())
            || current.replicaId() != fresh.replicaId() || !Objects.equals(current.peerAddress(), fresh.peerAddress())
            || !current.clientAddress().equals(fresh.clientAddress());
        if (changed) {
          update(new MemberInfo(name, fresh.dc(), state, fresh.clientAddress(), fresh.peerAddress(), fresh.replicaId(),
              current != null && current.state() == state ? current.sinceMillis() : now));
        }
    }
  }

  /**
   * True when {@code name} may be counted; otherwise starts (once at a time) a check of the
   * certificate at its peer address, which re-applies Atomix's view of the member when it passes.
   * Events thread.
   */
  private boolean nameChecked(String name, Optional<HostPort> peer) {
    NameCheck check = nameCheck;
    if (check == null || verified.contains(name)) {
      return true;
    }
    if (peer.isEmpty() || checking.contains(name) || checking.size() >= 1000) {
      return false;
    }
    checking.add(name);
    HostPort address = peer.get();
    check.verify(name, address).whenComplete((ok, error) -> execute(() -> {
      if (Boolean.TRUE.equals(ok)) {
        checking.remove(name);
        verified.add(name);
        reapply(name);
        return;
      }
      if (unnamedWarned.add(name)) {
        log.warn("not counting member '{}' yet: the node at its peer address {} did not show a certificate naming it ({})",
            name, address, error == null ? "another name" : error.toString());
      }
      // Try again later (it may still be starting), through Atomix's current view of it.
      events.schedule(() -> execute(() -> {
        checking.remove(name);
        reapply(name);
      }), NAME_CHECK_RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }));
    return false;
  }

  private void reapply(String name) {
    AtomixCluster c = cluster;
    if (c == null) {
      return;
    }
    io.atomix.cluster.Member m = c.getMembershipService().getMember(io.atomix.cluster.MemberId.from(name));
    if (m != null) {
      apply(ClusterMembershipEvent.Type.MEMBER_ADDED, m);
    }
  }

  /**
   * The member as its properties describe it, or null (and a warning, once) when it belongs to
   * another cluster or is not a Tally node of this kind.
   */
  private MemberInfo foreignCheck(String name, io.atomix.cluster.Member m) {
    Properties p = m.properties();
    String cluster = p.getProperty(PROP_CLUSTER_ID);
    String dc = p.getProperty(PROP_DC);
    String reason = null;
    if (!config.clusterId().equals(cluster)) {
      reason = "it belongs to cluster '" + cluster + "', this node to '" + config.clusterId() + "'";
    } else if (dc == null || dc.isEmpty()) {
      reason = "it announces no dc";
    }
    HostPort peer = null;
    long replica = 0;
    if (reason == null) {
      try {
        peer = HostPort.parse(p.getProperty(PROP_PEER_ADDRESS, ""));
        replica = ReplicaIds.parse(p.getProperty(PROP_REPLICA_ID, ""));
      } catch (IllegalArgumentException e) {
        reason = "its properties are unreadable: " + e.getMessage();
      }
    }
    if (reason != null) {
      if (foreign.add(name)) {
        log.warn("ignoring member '{}' at {}: {}", name, m.address(), reason);
      }
      return null;
    }
    return new MemberInfo(name, dc, MemberState.ALIVE, p.getProperty(PROP_CLIENT_ADDRESS, ""), peer, replica, 0);
  }

  private void update(MemberInfo next) {
    if (next.replicaId() != 0) {
      announcedReplicaIds.add(next.replicaId());
    }
    MemberInfo previous = members.put(next.name(), next);
    if (previous == null || !previous.dc().equals(next.dc())) {
      try {
        known.remember(next.name(), next.dc());
      } catch (RuntimeException e) {
        log.warn("could not remember member '{}' in the data dir: {}", next.name(), e.toString());
      }
    }
    if (next.state() == MemberState.ALIVE) {
      established = true;
    }
    ScheduledFuture<?> pending = suspicions.remove(next.name());
    if (pending != null) {
      pending.cancel(false);
    }
    if (next.state() == MemberState.SUSPECT) {
      suspicions.put(next.name(), events.schedule(() -> execute(() -> suspicionExpired(next)),
          config.failureTimeout().toMillis(), TimeUnit.MILLISECONDS));
    }
    MemberState was = previous == null ? null : previous.state();
    if (was != next.state() || previous == null || !previous.dc().equals(next.dc())) {
      if (was == null) {
        log.info("member {} (dc {}) appeared: {}", next.name(), next.dc(), next.state());
      } else {
        log.info("member {} (dc {}) is {} (was {})", next.name(), next.dc(), next.state(), was);
      }
      Member member = next.member();
      for (MembershipListener l : listeners) {
        try {
          l.onChange(member);
        } catch (RuntimeException e) {
          log.warn("membership listener failed on {}", member, e);
        }
      }
    }
  }

  private void suspicionExpired(MemberInfo suspected) {
    MemberInfo now = members.get(suspected.name());
    if (now != null && now.state() == MemberState.SUSPECT && now.sinceMillis() == suspected.sinceMillis()) {
      update(now.withState(MemberState.DEAD, System.currentTimeMillis()));
    }
  }

  private boolean isSelf(HostPort seed) {
    if (seed.port() != config.peerPort()) {
      return false;
    }
    if (seed.host().equals(config.advertiseHost()) || seed.host().equals(config.host())) {
      return true;
    }
    try {
      InetAddress a = InetAddress.getByName(seed.host());
      return a.equals(InetAddress.getByName(config.advertiseHost()));
    } catch (UnknownHostException | SecurityException e) {
      return false;
    }
  }
}
