package dev.tally.gossip.identity;

import java.util.concurrent.CompletableFuture;

/** Sends a claim to one peer; fails when the peer cannot be reached. */
@FunctionalInterface
public interface ClaimSender {
  CompletableFuture<ClaimAnswer> send(String peer, ReplicaClaim claim);
}
