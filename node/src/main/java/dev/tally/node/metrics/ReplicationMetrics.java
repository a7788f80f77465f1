package dev.tally.node.metrics;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.status.AntiEntropyRound;
import dev.tally.gossip.status.PeerStatus;
import dev.tally.gossip.status.ReplicationObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The engine's replication events as Micrometer meters (exposed on {@code /metrics}); every
 * per-peer meter carries a {@code peer} tag. See docs/operations.md for what each one tells.
 *
 * <ul>
 *   <li>delta traffic: {@code tally.replication.deltas.sent/received/acked/failed} (messages),
 *       {@code tally.replication.delta.states.sent/received/applied}, {@code tally.replication.delta.sent/received}
 *       (bytes);
 *   <li>how far behind each peer is: {@code tally.replication.lag} (gauge, ms: age of the oldest
 *       change the peer has not acknowledged), {@code tally.replication.pending.keys},
 *       {@code tally.replication.needs.repair} (0/1), and {@code tally.replication.delay} (per
 *       key, from its durable commit here to the peer's durable ack: a histogram) with
 *       {@code tally.replication.delay.recent} (the same as p50/p90/p99/p99.9 of the last ~2 minutes);
 *   <li>anti-entropy: {@code tally.antientropy.rounds} (outcome completed/failed),
 *       {@code tally.antientropy.repaired} (side here/there), {@code tally.antientropy.round.duration},
 *       {@code tally.antientropy.served};
 *   <li>membership: {@code tally.membership.changes} (by new state); members by state are gauges
 *       the node registers from its membership ({@link #registerMemberGauges});
 *   <li>engine health: {@code tally.internal.errors} (tag {@code task}: delta-push, anti-entropy,
 *       status, membership): scheduled tasks that threw and will run again next round.
 * </ul>
 *
 * <p>Threads: the observer methods run on the replica thread; gauges are read by the scrape thread
 * from {@code peerStatus} (any thread) and {@code peers} (a concurrent map).
 */
public final class ReplicationMetrics implements ReplicationObserver {
  private static final String PEER = "peer";
  /** The {@code peer} label of everything sent under a name no member has. */
  public static final String UNKNOWN_PEER = "unknown";

  private final java.util.function.Predicate<String> knownPeer;

  private final MeterRegistry registry;
  private volatile Supplier<List<PeerStatus>> peerStatus = List::of;
  private final Map<String, PeerMeters> peers = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Timer roundDuration;

  /** One peer's meters, created when the peer first shows up. */
  private record PeerMeters(Counter deltasSent, Counter statesSent, Counter bytesSent, Counter deltasReceived,
      Counter statesReceived, Counter statesApplied, Counter bytesReceived, Counter acked, Counter failed,
      Counter repairNeeded, Counter keysDropped, Timer delay, Timer delayRecent) {}

  public ReplicationMetrics(MeterRegistry registry) {
    this(registry, peer -> true);
  }

  /**
   * @param knownPeer true for the names of members (any thread, quick): every other name a peer
   *     message carries is counted under the one label {@value #UNKNOWN_PEER}, so a caller cannot
   *     make this node create meters without bound by sending made-up names
   */
  public ReplicationMetrics(MeterRegistry registry, java.util.function.Predicate<String> knownPeer) {
    this.knownPeer = Objects.requireNonNull(knownPeer, "knownPeer");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.roundDuration = Timer.builder("tally.antientropy.round.duration")
        .description("Duration of one anti-entropy exchange this node started, from the first digest call to the last reply")
        .register(registry);
  }

  /** Where the per-peer gauges read lag, pending keys and needs-repair (the replica, once built). */
  public void readStatusFrom(Supplier<List<PeerStatus>> source) {
    this.peerStatus = Objects.requireNonNull(source, "source");
  }

  /** Gauges of members by state ({@code tally.membership.members{state}}), counted by {@code count}. */
  public static void registerMemberGauges(MeterRegistry registry, ToDoubleFunction<MemberState> count) {
    for (MemberState state : MemberState.values()) {
      Gauge.builder("tally.membership.members", () -> count.applyAsDouble(state))
          .description("Cluster members (this node included) by state, as this node sees them")
          .tag("state", state.name().toLowerCase(Locale.ROOT))
          .strongReference(true)
          .register(registry);
    }
  }

  @Override
  public void deltaSent(String peer, int states, int bytes) {
    PeerMeters m = meters(peer);
    m.deltasSent().increment();
    m.statesSent().increment(states);
    m.bytesSent().increment(bytes);
  }

  @Override
  public void deltaAcked(String peer, int states, int changed) {
    meters(peer).acked().increment();
  }

  @Override
  public void deltaDelays(String peer, long[] commitToAckNanos) {
    PeerMeters m = meters(peer);
    for (long nanos : commitToAckNanos) {
      m.delay().record(nanos, TimeUnit.NANOSECONDS);
      m.delayRecent().record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void deltaFailed(String peer, int states, Throwable cause) {
    meters(peer).failed().increment();
  }

  @Override
  public void deltaReceived(String peer, int states, int changed, int bytes) {
    PeerMeters m = meters(peer);
    m.deltasReceived().increment();
    m.statesReceived().increment(states);
    m.statesApplied().increment(changed);
    m.bytesReceived().increment(bytes);
  }

  @Override
  public void peerNeedsRepair(String peer, int droppedKeys) {
    PeerMeters m = meters(peer);
    m.repairNeeded().increment();
    m.keysDropped().increment(droppedKeys);
  }

  @Override
  public void antiEntropyCompleted(AntiEntropyRound round) {
    counter("tally.antientropy.rounds", "Anti-entropy exchanges this node started, by outcome", "outcome", "completed")
        .increment();
    counter("tally.antientropy.repaired", "Keys whose state an anti-entropy exchange changed, on this node (here) or the peer (there)",
        "side", "here").increment(round.repairedHere());
    counter("tally.antientropy.repaired", "Keys whose state an anti-entropy exchange changed, on this node (here) or the peer (there)",
        "side", "there").increment(round.repairedThere());
    roundDuration.record(Duration.ofMillis(round.durationMillis()));
  }

  @Override
  public void antiEntropyFailed(String peer, Throwable cause) {
    counter("tally.antientropy.rounds", "Anti-entropy exchanges this node started, by outcome", "outcome", "failed")
        .increment();
  }

  @Override
  public void antiEntropyServed(String peer, int statesReceived, int repairedHere, int statesReturned) {
    counter("tally.antientropy.served", "SyncBuckets calls of peers' anti-entropy exchanges this node answered", null, null)
        .increment();
    counter("tally.antientropy.repaired", "Keys whose state an anti-entropy exchange changed, on this node (here) or the peer (there)",
        "side", "here").increment(repairedHere);
  }

  @Override
  public void internalError(String task, Throwable cause) {
    counter("tally.internal.errors",
        "Scheduled engine tasks that threw (a store failure in a delta push or an anti-entropy round, say); each runs again next round",
        "task", task).increment();
  }

  @Override
  public void membershipChanged(Member member, MemberState previous) {
    counter("tally.membership.changes", "Membership changes seen by this node, by the member's new state", "state",
        member.state().name().toLowerCase(Locale.ROOT)).increment();
    meters(member.name());
  }

  private Counter counter(String name, String description, String tag, String value) {
    String id = tag == null ? name : name + "|" + value;
    return counters.computeIfAbsent(id, k -> {
      Counter.Builder b = Counter.builder(name).description(description);
      if (tag != null) {
        b.tag(tag, value);
      }
      return b.register(registry);
    });
  }

  /** The label of a sender: its name when it is a member, else {@value #UNKNOWN_PEER}. */
  String label(String peer) {
    return peer != null && knownPeer.test(peer) ? peer : UNKNOWN_PEER;
  }

  @Override
  public void ownEntryAhead(String peer, String key) {
    peerEvent("tally.peer.own.entry.ahead",
        "Keys in which a peer sent this node's own current replica entry ahead of the local one (rollback or clone signal; not merged, and the node took a new replica id)",
        peer).increment();
  }

  @Override
  public void unknownReplicaEntries(String peer, int entries) {
    peerEvent("tally.peer.unknown.replica.entries",
        "Entries new to this node, received from peers, naming replica ids no member announced", peer).increment(entries);
  }

  @Override
  public void entriesPerKeyRefused(String peer, String key, int entries) {
    peerEvent("tally.peer.entries.per.key.refused",
        "Keys of peer input not merged because they would pass max-entries-per-key", peer).increment();
  }

  private Counter peerEvent(String name, String description, String peer) {
    String label = label(peer);
    return counters.computeIfAbsent(name + "|" + label,
        k -> Counter.builder(name).description(description).tag(PEER, label).register(registry));
  }

  private PeerMeters meters(String peer) {
    peer = label(peer);
    PeerMeters m = peers.get(peer);
    return m != null ? m : peers.computeIfAbsent(peer, this::register);
  }

  private PeerMeters register(String peer) {
    Gauge.builder("tally.replication.lag", () -> statusOf(peer, s -> s.lagMillis()))
        .description("Age of the oldest change of this node the peer has not acknowledged; 0 when it has everything")
        .baseUnit("milliseconds").tag(PEER, peer).strongReference(true).register(registry);
    Gauge.builder("tally.replication.pending.keys", () -> statusOf(peer, s -> s.pendingKeys()))
        .description("Changed keys waiting to be shipped to the peer (or in the push in flight)")
        .tag(PEER, peer).strongReference(true).register(registry);
    Gauge.builder("tally.replication.needs.repair", () -> statusOf(peer, s -> s.needsRepair() ? 1 : 0))
        .description("1 while the peer fell further behind than the delta buffer allows and waits for anti-entropy")
        .tag(PEER, peer).strongReference(true).register(registry);
    return new PeerMeters(
        peerCounter("tally.replication.deltas.sent", null, "Delta push messages sent to the peer", peer),
        peerCounter("tally.replication.delta.states.sent", null, "Counter states sent to the peer in delta pushes", peer),
        peerCounter("tally.replication.delta.sent", "bytes", "Bytes of delta push messages sent to the peer", peer),
        peerCounter("tally.replication.deltas.received", null, "Delta push messages received from the peer", peer),
        peerCounter("tally.replication.delta.states.received", null, "Counter states received from the peer in delta pushes", peer),
        peerCounter("tally.replication.delta.states.applied", null, "Received states that changed this node", peer),
        peerCounter("tally.replication.delta.received", "bytes", "Bytes of delta push messages received from the peer", peer),
        peerCounter("tally.replication.deltas.acked", null, "Delta pushes the peer acknowledged (durably merged)", peer),
        peerCounter("tally.replication.deltas.failed", null, "Delta pushes to the peer that failed or timed out (their keys are retried)", peer),
        peerCounter("tally.replication.repair.needed", null, "Times the peer fell past the delta buffer limit and was left to anti-entropy", peer),
        peerCounter("tally.replication.keys.dropped", null, "Pending keys dropped from the peer's delta buffer (anti-entropy repairs them)", peer),
        // The same samples twice: a cumulative histogram (buckets aggregate across nodes and give
        // exact quantiles over any window from two scrapes), and client-side quantiles of the last
        // ~2 minutes that a person or a benchmark reads straight off /metrics. Prometheus shows
        // only one of the two per meter, hence two meters.
        Timer.builder("tally.replication.delay")
            .description("Per key of an acknowledged delta push: time from the change's durable commit on this node to the peer's durable ack")
            .tag(PEER, peer)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(1))
            .register(registry),
        Timer.builder("tally.replication.delay.recent")
            .description("tally_replication_delay_seconds as quantiles over the last ~2 minutes")
            .tag(PEER, peer)
            .publishPercentiles(0.5, 0.9, 0.99, 0.999)
            .percentilePrecision(2)
            .register(registry));
  }

  private Counter peerCounter(String name, String unit, String description, String peer) {
    return Counter.builder(name).description(description).baseUnit(unit).tag(PEER, peer).register(registry);
  }

  private double statusOf(String peer, ToDoubleFunction<PeerStatus> f) {
    for (PeerStatus s : peerStatus.get()) {
      if (s.name().equals(peer)) {
        return f.applyAsDouble(s);
      }
    }
    return 0;
  }
}
