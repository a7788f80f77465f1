package dev.tally.gossip.status;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;

/**
 * Events of the replication engine, for the node to turn into metrics and logs (the engine itself
 * depends on no metrics library). Every method has an empty default, so an implementation picks
 * what it needs.
 *
 * <p>Threads: called on the replica thread. Implementations must return quickly and never block or
 * throw (increment a counter, record a histogram).
 */
public interface ReplicationObserver {

  /** A delta push left for {@code peer} with {@code states} states in a message of {@code bytes}. */
  default void deltaSent(String peer, int states, int bytes) {}

  /** {@code peer} acknowledged a push: it durably holds the states; {@code changed} of them were news to it. */
  default void deltaAcked(String peer, int states, int changed) {}

  /**
   * {@code peer} acknowledged a push, one value per key of it: nanoseconds from when the key's
   * change first waited for this peer (its durable commit here, or its durable merge here for a
   * change relayed from another DC) until the peer's durable ack. This is the delay a reader on
   * the peer sees; {@link #deltaAcked} has the message-level counts.
   */
  default void deltaDelays(String peer, long[] commitToAckNanos) {}

  /** A push to {@code peer} failed or timed out; its keys were queued again. */
  default void deltaFailed(String peer, int states, Throwable cause) {}

  /** A delta push arrived from {@code peer}; {@code changed} of its states changed this node. */
  default void deltaReceived(String peer, int states, int changed, int bytes) {}

  /**
   * {@code peer} fell more than maxPendingKeysPerPeer behind: {@code droppedKeys} pending keys were
   * dropped and anti-entropy will repair it.
   */
  default void peerNeedsRepair(String peer, int droppedKeys) {}

  /** An anti-entropy exchange this node started completed. */
  default void antiEntropyCompleted(AntiEntropyRound round) {}

  /** An anti-entropy exchange this node started with {@code peer} failed part-way (what was merged stays). */
  default void antiEntropyFailed(String peer, Throwable cause) {}

  /** This node answered a peer's SyncBuckets: {@code repairedHere} keys changed here, {@code statesReturned} went back. */
  default void antiEntropyServed(String peer, int statesReceived, int repairedHere, int statesReturned) {}

  /**
   * A scheduled task of the engine threw (a store failure in a delta push, an anti-entropy round,
   * a timer); it was logged (rate-limited, see {@link InternalErrors}) and runs again next round.
   * {@code task} is one of the {@code InternalErrors.TASK_*} names.
   */
  default void internalError(String task, Throwable cause) {}

  /**
   * {@code peer} sent this node's own current replica entry of {@code key} ahead of the local one
   * (the rollback or clone signal: this node's data is older than what it once wrote, or the peer
   * is wrong). The entry was not merged; the node takes a new replica id.
   */
  default void ownEntryAhead(String peer, String key) {}

  /**
   * {@code peer} sent {@code entries} entries, new to this node, naming replica ids no member ever
   * announced. They were merged (a CRDT cannot tell them from a member's that this node has not
   * heard of yet) and are counted for the operator.
   */
  default void unknownReplicaEntries(String peer, int entries) {}

  /**
   * A merge from {@code peer} would have grown {@code key} to {@code entries} replica entries, past
   * maxEntriesPerKey: that key was not merged.
   */
  default void entriesPerKeyRefused(String peer, String key, int entries) {}

  /** A member appeared ({@code previous} is null) or changed state. */
  default void membershipChanged(Member member, MemberState previous) {}

  /** Observes nothing. */
  ReplicationObserver NONE = new ReplicationObserver() {};
}
