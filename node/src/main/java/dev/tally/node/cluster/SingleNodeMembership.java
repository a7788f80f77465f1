package dev.tally.node.cluster;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.membership.Membership;
import java.util.Collection;
import java.util.List;

/**
 * Membership of a replica that runs without a cluster (tests and benchmarks of the local write
 * path): itself, always alive, no peers, no events. A node uses
 * {@link dev.tally.node.membership.AtomixMembership}.
 */
public final class SingleNodeMembership implements Membership {
  private final Member self;

  public SingleNodeMembership(String name, String dc) {
    this.self = new Member(name, dc, MemberState.ALIVE);
  }

  @Override
  public Member self() {
    return self;
  }

  @Override
  public Collection<Member> peers() {
    return List.of();
  }

  @Override
  public void addListener(MembershipListener listener) {
    // Nothing ever changes.
  }
}
