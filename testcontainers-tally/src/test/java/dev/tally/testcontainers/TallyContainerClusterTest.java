package dev.tally.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.TallyClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Three containers form one cluster, with TLS on (one CA, mutual TLS between peers): writes on each
 * node converge to the exact total on every node.
 */
@DockerGate
class TallyContainerClusterTest {

    @Test
    void threeNodesWithTls_formOneCluster_andConvergeToTheExactTotal() {
        try (TallyCluster cluster = TallyCluster.of(3, TestImage.get())
                .withSetting("gossip-interval", "50ms")
                .withSetting("anti-entropy-interval", "500ms")
                .withTls()
                // Three JVMs start at once on a small CI machine: C1 only and the serial GC start faster.
                .withEachNode(n -> n.withEnv("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m"))) {
            cluster.start();
            List<String> targets = cluster.getTargets();
            assertThat(targets).hasSize(3).doesNotHaveDuplicates();
            assertThat(cluster.getTarget()).isEqualTo(String.join(",", targets));

            List<TallyClient> clients = new ArrayList<>();
            try {
                for (String t : targets) {
                                        clients.add(TallyClient.builder().target(t).useTls(cluster.getCaCertificatePath())
                            .deadline(Duration.ofSeconds(5)).build());
                }
                for (int i = 0; i < 3; i++) {
                    for (int k = 0; k <= i; k++) {
                        clients.get(i).increment("total", 10);   // n1 +10, n2 +20, n3 +30
                    }
                }
                Awaitility.await("every node reads 60").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                            for (TallyClient c : clients) {
                                assertThat(c.get("total").value()).isEqualTo(60);
                            }
                        });
            } finally {
                clients.forEach(TallyClient::close);
            }
        }
    }
}
