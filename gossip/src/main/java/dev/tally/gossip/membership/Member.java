package dev.tally.gossip.membership;

import java.util.Objects;

/**
 * A node as membership sees it. {@code name} is the node's stable identity (it survives a wiped
 * disk; the replica id does not). {@code dc} is its data-center label.
 */
public record Member(String name, String dc, MemberState state) {
  public Member {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dc, "dc");
    Objects.requireNonNull(state, "state");
  }

  public boolean alive() {
    return state == MemberState.ALIVE;
  }

  public Member withState(MemberState newState) {
    return new Member(name, dc, newState);
  }
}
