package dev.tally.gossip.sim;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.membership.Membership;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A heartbeat failure detector like Atomix's: every heartbeat interval each peer that is up and
 * can reach this node (over the current connectivity, subject to message loss) counts as heard; a
 * peer unheard for suspectAfter turns SUSPECT, for deadAfter DEAD; a heard peer turns ALIVE. So
 * liveness lags reality by realistic delays, false suspicions happen under loss, and a node that
 * restarts quickly may never be seen as down.
 *
 * <p>Every node knows the whole static member list from the start (as seeds would give it), with
 * every peer SUSPECT until first heard: DC sizes, and so quorums, are right from the first moment.
 */
final class SimMembership implements Membership {
  private final SimWorld world;
  private final SimNetwork network;
  private final Incarnation owner;
  private final Map<String, SimNode> nodes;
  private final SplittableRandom random;
  private final long heartbeatNanos;
  private final long suspectNanos;
  private final long deadNanos;
  private final Member self;
  private final TreeMap<String, Member> peers = new TreeMap<>();
  private final Map<String, Long> lastHeard = new HashMap<>();
  private final List<MembershipListener> listeners = new ArrayList<>();

  SimMembership(SimWorld world, SimNetwork network, Incarnation owner, Map<String, SimNode> nodes,
      SplittableRandom random, SimParams params) {
    this.world = world;
    this.network = network;
    this.owner = owner;
    this.nodes = nodes;
    this.random = random;
    this.heartbeatNanos = params.heartbeatMillis() * 1_000_000L;
    this.suspectNanos = params.suspectAfterMillis() * 1_000_000L;
    this.deadNanos = params.deadAfterMillis() * 1_000_000L;
    this.self = new Member(owner.node.name, owner.node.dc, MemberState.ALIVE);
    for (SimNode n : nodes.values()) {
      if (n != owner.node) {
        peers.put(n.name, new Member(n.name, n.dc, MemberState.SUSPECT));
        lastHeard.put(n.name, world.now() - suspectNanos);
      }
    }
  }

  void start() {
    world.schedule(owner, 1 + random.nextLong(heartbeatNanos), this::tick);
  }

  private void tick() {
    long now = world.now();
    for (Member m : new ArrayList<>(peers.values())) {
      SimNode peer = nodes.get(m.name());
      boolean heard = peer.up() && network.canSend(peer.name, self.name())
          && !(network.dropRate() > 0 && random.nextDouble() < network.dropRate());
      MemberState next = m.state();
      if (heard) {
        lastHeard.put(m.name(), now);
        next = MemberState.ALIVE;
      } else {
        long silent = now - lastHeard.get(m.name());
        if (silent >= deadNanos) {
          next = MemberState.DEAD;
        } else if (silent >= suspectNanos && m.state() == MemberState.ALIVE) {
          next = MemberState.SUSPECT;
        }
      }
      if (next != m.state()) {
        Member changed = m.withState(next);
        peers.put(m.name(), changed);
        world.trace(self.name(), () -> "sees " + changed);
        for (MembershipListener l : listeners) {
          l.onChange(changed);
        }
      }
    }
    world.schedule(owner, heartbeatNanos, this::tick);
  }

  @Override
  public Member self() {
    return self;
  }

  @Override
  public Collection<Member> peers() {
    return List.copyOf(peers.values());
  }

  @Override
  public void addListener(MembershipListener listener) {
    listeners.add(listener);
  }
}
