package dev.tally.gossip.identity;

import dev.tally.gossip.crdt.ReplicaIds;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The peer side of the check: accepts a claim only if it is newer than every claim on record for
 * the id, by the node that holds it.
 *
 * <p>Why this is enough: a start keeps its id only if a majority of its peers accepted its claim,
 * so the accepting sets of any two kept starts share a peer, and that peer accepted them in epoch
 * order. A dir that went back in time replays an epoch some peer of that majority has already seen
 * (refused), a dir started twice offers the same epoch with a different instance (refused), and a
 * dir copied to another node offers the id under another name (refused).
 *
 * <p>Thread-safe: claims for one id are decided one at a time ({@code synchronized}), and the
 * decision is durable before it is answered.
 */
public final class ReplicaClaims {
  private final ClaimRecords records;
  private final String ownName;
  private final LongSupplier ownId;

  /**
   * @param ownName this node's name
   * @param ownId the id this node writes under now: nobody else may claim it
   */
  public ReplicaClaims(ClaimRecords records, String ownName, LongSupplier ownId) {
    this.records = records;
    this.ownName = ownName;
    this.ownId = ownId;
  }

  public synchronized ClaimAnswer consider(ReplicaClaim claim) {
    if (claim.replicaId() == ownId.getAsLong()) {
      return ClaimAnswer.refuse(new ReplicaClaim(claim.replicaId(), Math.max(1, claim.epoch()), ownName, 0),
          "replica id " + ReplicaIds.format(claim.replicaId()) + " is in use by the running node '" + ownName
              + "' (this data dir was copied from it?)");
    }
    Optional<ReplicaClaim> held = records.findClaim(claim.replicaId());
    if (held.isEmpty()) {
      records.recordClaim(claim);
      return ClaimAnswer.accept(claim);
    }
    ReplicaClaim h = held.get();
    String id = ReplicaIds.format(claim.replicaId());
    if (!h.nodeName().equals(claim.nodeName())) {
      return ClaimAnswer.refuse(h, "replica id " + id + " belongs to node '" + h.nodeName()
          + "' (this data dir was copied from it?)");
    }
    if (h.epoch() == claim.epoch() && h.instance() == claim.instance()) {
      return ClaimAnswer.accept(claim); // a retry of the claim on record
    }
    if (claim.epoch() > h.epoch()) {
      records.recordClaim(claim);
      return ClaimAnswer.accept(claim);
    }
    String why = h.epoch() == claim.epoch()
        ? "another process already started '" + claim.nodeName() + "' at this epoch (the data dir was started twice?)"
        : "'" + claim.nodeName() + "' started at epoch " + h.epoch() + " before, and this data dir is at epoch "
            + claim.epoch() + " (restored from an older copy?)";
    return ClaimAnswer.refuse(h, "replica id " + id + ": " + why);
  }
}
