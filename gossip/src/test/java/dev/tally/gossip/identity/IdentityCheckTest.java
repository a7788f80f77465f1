package dev.tally.gossip.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.testing.VirtualTime;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The rollback, double-start and copy cases of issue 11 defect 2, decided by the very classes the
 * node runs: {@link ReplicaClaims} on each peer and {@link IdentityCheck} on the starting node.
 */
class IdentityCheckTest {
  private static final long R = 0x1234L;
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final VirtualTime time = new VirtualTime();
  private final Map<String, ReplicaClaims> peers = new LinkedHashMap<>();
  private final Set<String> down = new java.util.HashSet<>();

  IdentityCheckTest() {
    for (String p : new String[] {"n2", "n3"}) {
      peers.put(p, new ReplicaClaims(new MapRecords(), p, () -> 0x99L));
    }
  }

  @Test
  void cleanRestarts_keepTheId_epochAfterEpoch() {
    for (long epoch = 1; epoch <= 3; epoch++) {
      assertThat(check(clean(epoch, 100 + epoch)).keep()).as("start at epoch %d", epoch).isTrue();
    }
  }

  @Test
  void dirRestoredFromAnOlderCopy_takesANewId() {
    assertThat(check(clean(1, 1)).keep()).isTrue();
    assertThat(check(clean(2, 2)).keep()).isTrue();
    // The backup was taken at epoch 1: its next start is epoch 2 again, from another process.
    IdentityDecision d = check(clean(2, 3));
    assertThat(d.keep()).isFalse();
    assertThat(d.reason()).contains("started twice");
  }

  @Test
  void rollbackSeenByOnlyOnePeer_isStillCaught_becauseEveryKeptStartHadAMajority() {
    assertThat(check(clean(1, 1)).keep()).isTrue();
    down.add("n3");
    // epoch 2 needs both n2 and n3 (a majority of 2 peers): with n3 down the node does not keep its id.
    assertThat(check(clean(2, 2)).keep()).isFalse();
    down.clear();
    assertThat(check(clean(2, 3)).keep()).as("epoch 2 again: n2 has it on record").isFalse();
  }

  @Test
  void olderEpoch_isRefusedNamingTheEpochs() {
    check(clean(5, 1));
    IdentityDecision d = check(clean(3, 2));
    assertThat(d.keep()).isFalse();
    assertThat(d.reason()).contains("epoch 5", "epoch 3", "older copy");
  }

  @Test
  void copyUnderAnotherName_isRefused() {
    check(clean(1, 1));
    IdentityDecision d = check(new StartState(new ReplicaClaim(R, 2, "n9", 7), false, true, true));
    assertThat(d.keep()).isFalse();
    assertThat(d.reason()).contains("belongs to node 'n1'");
  }

  @Test
  void claimOfThePeersOwnRunningId_isRefused() {
    ReplicaClaims n2 = new ReplicaClaims(new MapRecords(), "n2", () -> R);
    ClaimAnswer a = n2.consider(new ReplicaClaim(R, 3, "n7", 1));
    assertThat(a.accepted()).isFalse();
    assertThat(a.reason()).contains("in use by the running node 'n2'");
  }

  @Test
  void uncleanShutdown_takesANewIdWithoutAsking() {
    IdentityDecision d = check(new StartState(new ReplicaClaim(R, 2, "n1", 1), false, false, true));
    assertThat(d.keep()).isFalse();
    assertThat(d.reason()).contains("not shut down cleanly");
  }

  @Test
  void peersUnreachable_takesANewIdAfterTheTimeout() {
    down.addAll(peers.keySet());
    IdentityDecision d = check(clean(2, 1));
    assertThat(d.keep()).isFalse();
    assertThat(d.reason()).contains("only 0 of 2");
  }

  @Test
  void freshDirOrNoPeers_keepsTheId() {
    assertThat(check(new StartState(new ReplicaClaim(R, 1, "n1", 1), true, false, true)).keep()).isTrue();
    down.addAll(peers.keySet());
    assertThat(check(new StartState(new ReplicaClaim(R, 4, "n1", 2), false, false, false)).keep()).isTrue();
  }

  @Test
  void majorityIsOfKnownPeers() {
    assertThat(IdentityCheck.majority(1)).isEqualTo(1);
    assertThat(IdentityCheck.majority(2)).isEqualTo(2);
    assertThat(IdentityCheck.majority(4)).isEqualTo(3);
  }

  private static StartState clean(long epoch, long instance) {
    return new StartState(new ReplicaClaim(R, epoch, "n1", instance), false, true, true);
  }

  private IdentityDecision check(StartState start) {
    CompletableFuture<IdentityDecision> f = IdentityCheck.run(start, peers::keySet, (peer, claim) -> down.contains(peer)
        ? CompletableFuture.failedFuture(new RuntimeException(peer + " is down"))
        : CompletableFuture.completedFuture(peers.get(peer).consider(claim)),
        time.scheduler("n1"), time.clock(), TIMEOUT);
    time.runUntil(f::isDone, TIMEOUT.plusSeconds(1));
    assertThat(f).isDone();
    return f.join();
  }

  private static final class MapRecords implements ClaimRecords {
    private final Map<Long, ReplicaClaim> claims = new HashMap<>();

    @Override
    public Optional<ReplicaClaim> findClaim(long replicaId) {
      return Optional.ofNullable(claims.get(replicaId));
    }

    @Override
    public void recordClaim(ReplicaClaim claim) {
      claims.put(claim.replicaId(), claim);
    }
  }
}
