package dev.tally.node.membership;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.node.config.HostPort;
import java.util.Objects;
import java.util.Optional;

/**
 * What this node knows of one member: the engine's view ({@link #member()}) plus what clients and
 * operators need (addresses, replica id).
 *
 * @param clientAddress host:port of its CounterService, empty while unknown (a member remembered
 *     from an earlier run and not yet heard from)
 * @param peerAddress host:port of its PeerService, null while unknown
 * @param replicaId its current replica id, 0 while unknown (it changes when its data dir is wiped)
 * @param sinceMillis wall-clock millis of the last state change, 0 for a remembered member
 */
public record MemberInfo(String name, String dc, MemberState state, String clientAddress, HostPort peerAddress,
    long replicaId, long sinceMillis) {

  public MemberInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dc, "dc");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(clientAddress, "clientAddress");
  }

  /** A member remembered from the data dir: in its dc, dead until heard from. */
  static MemberInfo remembered(String name, String dc) {
    return new MemberInfo(name, dc, MemberState.DEAD, "", null, 0, 0);
  }

  public Member member() {
    return new Member(name, dc, state);
  }

  public Optional<HostPort> peer() {
    return Optional.ofNullable(peerAddress);
  }

  MemberInfo withState(MemberState newState, long nowMillis) {
    return newState == state ? this : new MemberInfo(name, dc, newState, clientAddress, peerAddress, replicaId, nowMillis);
  }
}
