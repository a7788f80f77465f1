package dev.tally.chaos.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.DockerClient;
import dev.tally.chaos.docker.Images;
import dev.tally.chaos.docker.Labels;
import dev.tally.chaos.docker.RequiresDocker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;

/** The fixture's lifecycle: configuration, cleanup whatever happens, and what it prints when things go wrong. */
@RequiresDocker
class TallyClusterTest {

    private static final DockerClient DOCKER = DockerClientFactory.instance().client();

    private static ClusterSpec.Builder sleepers() {
        return ClusterSpec.builder(Images.ensureRuntimeImage())
                .command("bash", "-c", "echo node $TALLY_NAME of $TALLY_DC up; exec sleep infinity");
    }

    private static long leftovers(String runId) {
        var filter = java.util.Map.of(Labels.RUN, runId);
        long containers = DOCKER.listContainersCmd().withShowAll(true).withLabelFilter(filter).exec().size();
        var volumes = DOCKER.listVolumesCmd().withFilter("label", List.of(Labels.RUN + "=" + runId)).exec().getVolumes();
        long networks = DOCKER.listNetworksCmd().withFilter("label", List.of(Labels.RUN + "=" + runId)).exec().size();
        return containers + (volumes == null ? 0 : volumes.size()) + networks;
    }

    @Test
    void run_nodesGetNamesDcsSeedsAndNetAdmin_andEverythingIsRemovedAfterwards() throws Exception {
        AtomicReference<String> runId = new AtomicReference<>();
        TallyCluster.run(sleepers().node("x1", "east").node("y1", "west").build(), cluster -> {
            runId.set(cluster.runId());
            ClusterNode x1 = cluster.node("x1");
            assertThat(x1.execAsRoot("sh", "-c", "echo $TALLY_NAME $TALLY_DC $TALLY_HOST $TALLY_ADVERTISE_HOST $TALLY_SEEDS $TALLY_DATA_DIR")
                    .stdout().strip()).isEqualTo("x1 east 0.0.0.0 x1 x1:7401,y1:7401 /var/lib/tally");
            assertThat(x1.execAsRoot("getent", "hosts", "y1").stdout()).contains(cluster.node("y1").ip());
            assertThat(x1.execAsRoot("iptables", "-S").succeeded()).as("root has NET_ADMIN").isTrue();
            assertThat(cluster.dcs()).containsExactly("east", "west");
            assertThat(cluster.topology()).containsEntry("y1", "west");
            assertThat(leftovers(cluster.runId())).as("2 containers, 2 volumes, 1 network").isEqualTo(5);
        });
        assertThat(leftovers(runId.get())).isZero();
    }

    @Test
    void run_bodyFails_printsEveryNodesStateAndLogs_rethrows_andCleansUp() {
        AtomicReference<String> runId = new AtomicReference<>();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThatThrownBy(() -> TallyCluster.run(sleepers().node("x1", "east").build(), cluster -> {
                runId.set(cluster.runId());
                cluster.addDiagnostics("counters", () -> "x1: 42");
                cluster.node("x1").shAsRoot("block", "iptables -A INPUT -s 10.9.9.9 -j DROP");
                throw new AssertionError("boom");
            })).isInstanceOf(AssertionError.class).hasMessage("boom");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("state after failure (java.lang.AssertionError: boom)")
                .contains("node x1 (east) container").contains("[running] ip ")
                .contains("-A INPUT -s 10.9.9.9/32 -j DROP")
                .contains("| node x1 of east up")
                .contains("---- counters\nx1: 42");
        assertThat(leftovers(runId.get())).isZero();
    }

    @Test
    void start_nodeNeverReady_failsNamingItWithItsLogs_andCleansUp() {
        ClusterSpec spec = sleepers().node("x1", "east").readiness(node -> false)
                .startTimeout(Duration.ofSeconds(2)).build();

        assertThatThrownBy(() -> TallyCluster.start(spec))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("x1 not ready within PT2S (running); last log lines:")
                .hasMessageContaining("node x1 of east up");
        assertThat(DOCKER.listContainersCmd().withShowAll(true)
                .withLabelFilter(java.util.Map.of(Labels.NODE, "x1")).exec()).isEmpty();
    }

    @Test
    void spec_invalidNodes_rejectedNamingTheProblem() {
        assertThatThrownBy(() -> ClusterSpec.builder("img").node("n1", "dc").node("n1", "dc").build())
                .hasMessage("node name n1 is used twice");
        assertThatThrownBy(() -> ClusterSpec.builder("img").node("N_1", "dc"))
                .hasMessage("node name must be a DNS label of 1..31 chars [a-z0-9-], was N_1");
        assertThatThrownBy(() -> ClusterSpec.builder("img").build()).hasMessage("a cluster needs at least one node");
    }
}
