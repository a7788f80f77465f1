package dev.tally.gossip.membership;

import java.util.Collection;

/**
 * Who is in the cluster and who is alive. The node backs it with Atomix's heartbeat protocol, the
 * simulator with a scripted failure detector.
 */
public interface Membership {

  /** This node. */
  Member self();

  /**
   * Every other member ever seen, with its current state. A member declared dead stays listed (as
   * {@link MemberState#DEAD}) so quorum sizes do not shrink when nodes fail.
   */
  Collection<Member> peers();

  /** Registers a listener; events arrive on an arbitrary thread. */
  void addListener(MembershipListener listener);

  interface MembershipListener {
    /** A member appeared or its state changed. */
    void onChange(Member member);
  }
}
