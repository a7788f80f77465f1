package dev.tally.gossip.testing;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.Membership;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Membership a test sets by hand; {@link #set} tells the listeners at once. */
public final class TestMembership implements Membership {
  private final Member self;
  private final Map<String, Member> peers = new TreeMap<>();
  private final List<MembershipListener> listeners = new ArrayList<>();

  public TestMembership(Member self) {
    this.self = self;
  }

  public void set(Member member) {
    peers.put(member.name(), member);
    for (MembershipListener l : listeners) {
      l.onChange(member);
    }
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
