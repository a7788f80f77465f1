package dev.tally.client;

import java.time.Duration;
import java.util.Objects;

/**
 * One member of the cluster as the answering node sees it.
 *
 * @param name the member's stable name
 * @param dc its data center
 * @param replicaId its replica id in hex (16 digits), empty when not yet known
 * @param clientAddress {@code host:port} of its client endpoint (where a {@link TallyClient} connects)
 * @param peerAddress {@code host:port} of its node-to-node endpoint
 * @param state its liveness as the answering node judges it
 * @param self whether this member is the answering node
 * @param replicationLag age of the oldest change the answering node has not yet had acknowledged by
 *     this member; zero when nothing is outstanding
 * @param pendingKeys keys waiting to be shipped to this member
 * @param needsRepair whether its delta stream fell too far behind and anti-entropy will repair it
 * @param replicaIdChange for the answering node itself: why it took a new replica id at its last
 *     start (its data dir could not be proven current); empty when it kept its id
 */
public record ClusterMember(
    String name,
    String dc,
    String replicaId,
    String clientAddress,
    String peerAddress,
    State state,
    boolean self,
    Duration replicationLag,
    long pendingKeys,
    boolean needsRepair,
    String replicaIdChange) {

  /** Checks that the reference components are present. */
  public ClusterMember {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dc, "dc");
    Objects.requireNonNull(replicaId, "replicaId");
    Objects.requireNonNull(clientAddress, "clientAddress");
    Objects.requireNonNull(peerAddress, "peerAddress");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(replicationLag, "replicationLag");
    Objects.requireNonNull(replicaIdChange, "replicaIdChange");
  }

  /** A member without a replica id change (every member but a node that just took a new id). */
  public ClusterMember(String name, String dc, String replicaId, String clientAddress, String peerAddress, State state,
      boolean self, Duration replicationLag, long pendingKeys, boolean needsRepair) {
    this(name, dc, replicaId, clientAddress, peerAddress, state, self, replicationLag, pendingKeys, needsRepair, "");
  }

  /** A member's liveness. */
  public enum State {
    /** Answering. */
    ALIVE,
    /** Missed heartbeats; not yet declared dead. */
    SUSPECT,
    /** Declared dead. */
    DEAD,
    /** The node sent no state, or one this client version does not know. */
    UNKNOWN
  }
}
