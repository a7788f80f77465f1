package dev.tally.gossip.testing;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.engine.LocalWrite;
import dev.tally.gossip.engine.PreparedWrites;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * A few real replicas on one {@link VirtualTime}, each with a {@link CountingStore}, a
 * {@link TestMembership} that knows every other node as ALIVE, a {@link TestTransport} and a
 * {@link RecordingObserver}. Timers default to long intervals so that tests drive each step
 * themselves (tweak the config to let ticks run).
 */
public final class TestCluster {
  public final VirtualTime time = new VirtualTime();
  private final Map<String, TestNode> nodes = new LinkedHashMap<>();
  private final Map<String, Replica> replicas = new LinkedHashMap<>();
  private long nextReplicaId = 0x1000;

  /** One node of the cluster. */
  public final class TestNode {
    public final String name;
    public final String dc;
    public final CountingStore store = new CountingStore();
    public final TestMembership membership;
    public final TestTransport transport;
    public final RecordingObserver observer = new RecordingObserver();
    public final List<List<KeyState>> changes = new ArrayList<>();
    public final Replica replica;
    /** When set, the replica listener throws. */
    public boolean listenerFails;
    /** Which replica ids count as announced by a member (all, unless a test says otherwise). */
    public java.util.function.LongPredicate announced = id -> true;
    /** Ids this node took because a peer held its own entry ahead, in order. */
    public final List<Long> rotatedTo = new ArrayList<>();

    TestNode(String name, String dc, ReplicaConfig config) {
      this.name = name;
      this.dc = dc;
      this.membership = new TestMembership(new Member(name, dc, MemberState.ALIVE));
      this.transport = new TestTransport(time, name, replicas, Duration.ofMillis(1), Duration.ofMillis(500));
      this.replica = new Replica(config, time.clock(), time.scheduler(name), store, transport, membership,
          new SplittableRandom(name.hashCode()), changed -> {
            if (listenerFails) {
              throw new IllegalStateException("listener failure injected by the test");
            }
            changes.add(changed);
          }, observer, new dev.tally.gossip.identity.ReplicaIdAuthority() {
            @Override
            public boolean announced(long replicaId) {
              return announced.test(replicaId);
            }

            @Override
            public long rotate(long current, String reason) {
              long fresh = 0x7e57_0000_0000_0000L + name.hashCode() * 64L + rotatedTo.size() + 1;
              rotatedTo.add(fresh);
              return fresh;
            }
          });
    }

    /** Commits one local write on this node's replica thread. */
    public void write(CounterChange... changes) {
      time.runAs(name, () -> {
        PreparedWrites prepared = replica.prepare(List.of(new LocalWrite(List.of(changes))));
        replica.commit(prepared, StoreAttachment.NONE);
      });
    }

    public void increment(String key, long amount) {
      write(CounterChange.increment(key, amount));
    }

    public PnCounter state(String key) {
      return store.get(key);
    }

    public long value(String key) {
      return store.get(key).value();
    }

    /** Marks {@code peer} with {@code state} in this node's membership. */
    public void sees(String peer, MemberState state) {
      TestNode other = nodes.get(peer);
      membership.set(new Member(peer, other.dc, state));
      time.runFor(Duration.ZERO);
    }

    public void start() {
      replica.start();
      time.runFor(Duration.ZERO);
    }
  }

  /** Long intervals: nothing happens by itself within a test unless it advances time that far. */
  public static ReplicaConfig quiet(String name, String dc, long replicaId) {
    return ReplicaConfig.defaults(name, dc, replicaId)
        .withGossipInterval(Duration.ofHours(1))
        .withAntiEntropyInterval(Duration.ofHours(1))
        .withDigestTreeDepth(2)
        .withQuorumTimeout(Duration.ofMillis(200));
  }

  public TestNode add(String name, String dc) {
    return add(name, dc, UnaryOperator.identity());
  }

  public TestNode add(String name, String dc, UnaryOperator<ReplicaConfig> tweak) {
    TestNode node = new TestNode(name, dc, tweak.apply(quiet(name, dc, nextReplicaId++)));
    nodes.put(name, node);
    replicas.put(name, node.replica);
    return node;
  }

  public TestNode node(String name) {
    return nodes.get(name);
  }

  /** Every node sees every other as ALIVE, then starts. */
  public void start() {
    for (TestNode a : nodes.values()) {
      for (TestNode b : nodes.values()) {
        if (a != b) {
          a.membership.set(new Member(b.name, b.dc, MemberState.ALIVE));
        }
      }
    }
    for (TestNode n : nodes.values()) {
      n.replica.start();
    }
    time.runFor(Duration.ZERO);
  }

  /**
   * Starts the replicas the way the node does (they learn of their peers after they started, so
   * each runs an exchange as its first peer comes into view) and lets those exchanges complete:
   * every replica has caught up with a DC peer, so QUORUM reads count it. The calls it took are
   * forgotten.
   */
  public void startCaughtUp() {
    for (TestNode n : nodes.values()) {
      n.replica.start();
    }
    time.runFor(Duration.ZERO);
    for (TestNode a : nodes.values()) {
      for (TestNode b : nodes.values()) {
        if (a != b) {
          a.membership.set(new Member(b.name, b.dc, MemberState.ALIVE));
        }
      }
    }
    time.runFor(Duration.ofMillis(100));
    for (TestNode n : nodes.values()) {
      n.transport.clearCalls(); // tests count their own calls
    }
  }

  public void run(Duration d) {
    time.runFor(d);
  }
}
