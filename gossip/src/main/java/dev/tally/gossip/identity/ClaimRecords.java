package dev.tally.gossip.identity;

import java.util.Optional;

/** Where a peer keeps the newest claim it accepted per replica id; survives restarts. */
public interface ClaimRecords {
  Optional<ReplicaClaim> findClaim(long replicaId);

  /** Returns once the claim is durable: an answer must never be forgotten by a crash. */
  void recordClaim(ReplicaClaim claim);
}
