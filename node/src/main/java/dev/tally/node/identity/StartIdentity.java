package dev.tally.node.identity;

import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.identity.ClaimAnswer;
import dev.tally.gossip.identity.IdentityCheck;
import dev.tally.gossip.identity.IdentityDecision;
import dev.tally.gossip.identity.ReplicaClaim;
import dev.tally.gossip.identity.StartState;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import dev.tally.node.NodeStartException;
import dev.tally.node.membership.AtomixMembership;
import dev.tally.node.membership.MemberInfo;
import dev.tally.node.peer.GrpcPeerTransport;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.ReplicaClaimRequest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica id a start settled on, and why: runs {@link IdentityCheck} against the node's peers
 * over the peer port and, when the check says so, takes a new id in the data dir.
 *
 * @param replicaId the id this process writes under
 * @param previousId the dir's id before this start, equal to {@code replicaId} when it was kept
 * @param reason the check's reason, for the log and {@code tally status}
 */
public record StartIdentity(long replicaId, long previousId, String reason, boolean dirMayBeOld) {
  private static final Logger log = LoggerFactory.getLogger(StartIdentity.class);
  private static final SecureRandom INSTANCES = new SecureRandom();

  public boolean rotated() {
    return replicaId != previousId;
  }

  /**
   * What {@code tally status} shows for the node itself: empty when the id was kept.
   */
  public String change() {
    return rotated() ? "took replica id " + ReplicaIds.format(replicaId) + " instead of "
        + ReplicaIds.format(previousId) + ": " + reason : "";
  }

  /**
   * Blocks the starting thread until the id is settled, at most {@code timeout} plus the peers'
   * deadline. Call after membership has started (peers are found through it) and before the node
   * takes its first write.
   */
  public static StartIdentity settle(String nodeName, RocksStateStore store, AtomixMembership membership,
      GrpcPeerTransport transport, Scheduler scheduler, Clock clock, Duration timeout) {
    long previous = store.replicaId();
    ReplicaClaim claim = new ReplicaClaim(previous, store.epoch(), nodeName, INSTANCES.nextLong());
    StartState start = new StartState(claim, store.freshDir(), store.lastShutdownClean(), membership.hasPeers());
    NodeRef from = NodeRef.newBuilder().setName(nodeName).build();
    IdentityDecision decision;
    try {
      decision = IdentityCheck.run(start, () -> peers(membership, nodeName),
          (peer, c) -> transport.claimReplica(peer, ReplicaClaimRequest.newBuilder().setFrom(from)
              .setReplicaId(c.replicaId()).setEpoch(c.epoch()).setInstance(c.instance()).build())
              .thenApply(r -> new ClaimAnswer(r.getAccepted(), r.getHeldByNode(), r.getHeldEpoch(), r.getReason())),
          scheduler, clock, timeout).get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new NodeStartException("could not settle the replica id with the peers: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NodeStartException("interrupted while settling the replica id", e);
    }
    if (decision.keep()) {
      log.info("keeping replica id {} (epoch {}): {}", ReplicaIds.format(previous), claim.epoch(), decision.reason());
      return new StartIdentity(previous, previous, decision.reason(), false);
    }
    long fresh = store.rotateReplicaId();
    log.warn("took new replica id {} instead of {} before the first write: {}. The old id's entries stay, frozen, "
        + "in every counter; nothing is lost", ReplicaIds.format(fresh), ReplicaIds.format(previous), decision.reason());
    return new StartIdentity(fresh, previous, decision.reason(), decision.dirMayBeOld());
  }

  private static Set<String> peers(AtomixMembership membership, String self) {
    Set<String> out = new TreeSet<>();
    for (MemberInfo m : membership.members()) {
      if (!m.name().equals(self)) {
        out.add(m.name());
      }
    }
    return out;
  }
}
