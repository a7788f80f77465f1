package dev.tally.gossip.membership;

/** Liveness as the failure detector currently judges it. */
public enum MemberState {
  ALIVE,
  /** Missed heartbeats; not yet declared dead. Not sent to, but still counted in its DC's size. */
  SUSPECT,
  DEAD
}
