package dev.tally.chaos.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.docker.RequiresDocker;
import dev.tally.chaos.faults.Fault;
import dev.tally.chaos.faults.NodeFaults;
import dev.tally.chaos.load.LoadDriver;
import dev.tally.chaos.load.Workload;
import dev.tally.client.ClusterMember;
import dev.tally.client.ClusterStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Scenario 5: a node's disk is lost under load (SIGKILL, data directory emptied, restarted). It
 * must come back under a NEW replica id (a reused id would let max() hide its new, smaller
 * counts), be refilled by anti-entropy, and nothing acknowledged may be lost or counted twice.
 *
 * <p>Writes are QUORUM: a LOCAL write acknowledged by the lost disk alone is gone with it, as
 * documented, and only a majority ack promises survival. The other nodes' writes retry until
 * acknowledged (their dedupe is intact); the wiped node's are never retried, because its dedupe
 * records went with its disk and a retry of a write it had applied would count twice. Reads are
 * LOCAL: a QUORUM read may legitimately miss a write that only the lost disk and one other node
 * held, so the Jepsen bound on QUORUM reads belongs to scenarios 1-3.
 */
@RequiresDocker
class WipeScenarioTest {

    private static final Duration CAP = Duration.ofSeconds(90);

    @Test
    void wipedNode_rejoinsWithANewReplicaId_nothingLostNothingDoubleCounted() throws Exception {
        ClusterSpec spec = ChaosNodes.spec().node("n1", "dc1").node("n2", "dc1").node("n3", "dc1").build();
        Scenario.run("wipe", spec, 4, s -> {
            List<String> others = new ArrayList<>(s.nodes());
            String victim = others.remove(s.random("victim").nextInt(others.size()));
            String oldReplica = selfReplicaId(s, victim);

            Workload workload = s.workload(Duration.ofMinutes(10)).withQuorumShares(1.0, 0.0);
            LoadDriver onOthers = s.startLoad("others", workload, others);
            LoadDriver onVictim = s.startLoad("victim", workload.withRetryUntilAck(false), List.of(victim));
            s.awaitAcknowledged(s.nodes(), 0, 300, CAP);

            Fault.Healer restart = s.inject(new NodeFaults.WipeData(victim));
            s.awaitAcknowledged(others, s.history().now(), 200, CAP);
            restart.heal();
            s.awaitMembership();

            String newReplica = selfReplicaId(s, victim);
            s.note(victim + " came back as replica " + newReplica + " (was " + oldReplica + ")");
            assertThat(newReplica).as("replica id of %s after its data was wiped", victim).isNotEqualTo(oldReplica)
                    .isNotEmpty();
            for (String o : others) {
                Awaitility.await(o + " learns " + victim + "'s new replica id").atMost(CAP)
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> replicaIdSeenBy(s, o, victim).equals(newReplica));
            }
            assertThat(s.cluster().node(victim).logsTail(400))
                    .contains("initialised new data dir /var/lib/tally for cluster")
                    .contains("with new replica id " + newReplica);

            s.awaitAcknowledged(List.of(victim), s.history().now(), 50, CAP);
            s.stopLoad(onVictim, Duration.ofSeconds(10));
            s.stopLoad(onOthers, Duration.ofSeconds(30));
            s.checkFinalValues(Duration.ofSeconds(60));
        });
    }

    private static String selfReplicaId(Scenario s, String node) {
        return replicaIdSeenBy(s, node, node);
    }

    private static String replicaIdSeenBy(Scenario s, String observer, String member) {
        ClusterStatus status = s.status(observer).orElseThrow(() -> new AssertionError(observer + " does not answer"));
        return status.members().stream().filter(m -> m.name().equals(member)).map(ClusterMember::replicaId)
                .findFirst().orElse("");
    }
}
