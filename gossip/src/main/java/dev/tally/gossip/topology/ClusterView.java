package dev.tally.gossip.topology;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The replica's own picture of the cluster: every peer ever seen (by name) with its dc and current
 * liveness. Membership events are applied here in the order the replica thread receives them; a
 * member once seen is never forgotten, so a DC's size (used for quorums) never shrinks when nodes
 * fail.
 *
 * <p>Concurrency: not thread-safe. The replica thread owns it. Iteration order is by name, so a
 * seeded simulation replays exactly.
 */
public final class ClusterView {
  private final String selfName;
  private final String selfDc;
  private final TreeMap<String, Member> peers = new TreeMap<>();
  private long version;

  public ClusterView(String selfName, String selfDc) {
    this.selfName = Objects.requireNonNull(selfName, "selfName");
    this.selfDc = Objects.requireNonNull(selfDc, "selfDc");
  }

  public String selfName() {
    return selfName;
  }

  public String selfDc() {
    return selfDc;
  }

  /**
   * Applies a membership fact. Events about this node itself are ignored.
   *
   * @return the member's previous state, or null if it was not known before (or is this node)
   */
  public MemberState update(Member member) {
    if (member.name().equals(selfName)) {
      return null;
    }
    Member previous = peers.put(member.name(), member);
    if (previous == null || !previous.equals(member)) {
      version++;
    }
    return previous == null ? null : previous.state();
  }

  /** Bumped whenever a member appears or changes state or dc. */
  public long version() {
    return version;
  }

  public Member peer(String name) {
    return peers.get(name);
  }

  public boolean isAlive(String name) {
    Member m = peers.get(name);
    return m != null && m.alive();
  }

  public Collection<Member> peers() {
    return Collections.unmodifiableCollection(peers.values());
  }

  /** Peers in this node's DC, in every state. */
  public List<Member> dcPeers() {
    List<Member> out = new ArrayList<>();
    for (Member m : peers.values()) {
      if (m.dc().equals(selfDc)) {
        out.add(m);
      }
    }
    return out;
  }

  /** Live peers in this node's DC. */
  public List<Member> liveDcPeers() {
    List<Member> out = new ArrayList<>();
    for (Member m : peers.values()) {
      if (m.dc().equals(selfDc) && m.alive()) {
        out.add(m);
      }
    }
    return out;
  }

  /** Members of this node's DC ever seen, alive or not, plus this node: the base of quorum sizes. */
  public int dcSize() {
    int n = 1;
    for (Member m : peers.values()) {
      if (m.dc().equals(selfDc)) {
        n++;
      }
    }
    return n;
  }

  /** Peers grouped by remote dc (every state), dcs and members in name order. */
  public Map<String, List<Member>> remoteDcs() {
    Map<String, List<Member>> out = new TreeMap<>();
    for (Member m : peers.values()) {
      if (!m.dc().equals(selfDc)) {
        out.computeIfAbsent(m.dc(), dc -> new ArrayList<>()).add(m);
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "ClusterView[" + selfName + "@" + selfDc + " " + peers.values() + "]";
  }
}
