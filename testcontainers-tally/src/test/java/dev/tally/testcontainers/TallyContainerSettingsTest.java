package dev.tally.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Configuring a container, checked without Docker. */
class TallyContainerSettingsTest {

    @Test
    void envVar_isTallyAndTheKeyInCapitals() {
        assertThat(TallyContainer.envVar("gossip-interval")).isEqualTo("TALLY_GOSSIP_INTERVAL");
        assertThat(TallyContainer.envVar("durability")).isEqualTo("TALLY_DURABILITY");
    }

    @Test
    void withSetting_refusesKeysThatAreNotSettingKeys() {
        TallyContainer c = new TallyContainer("tally-node:dev");
        assertThatThrownBy(() -> c.withSetting("TALLY_DURABILITY", "sync")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'TALLY_DURABILITY'");
        assertThatThrownBy(() -> c.withSetting("gossip--interval", "1s")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.withSetting("name", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("withName");
        assertThatThrownBy(() -> c.withSetting("tls-cert", "/x")).hasMessageContaining("withTls");
        assertThat(c.getSettings()).isEmpty();
    }

    @Test
    void withNameAndDc_mustBeDnsLabels() {
        TallyContainer c = new TallyContainer("tally-node:dev");
        assertThatThrownBy(() -> c.withName("Bad_Name")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Bad_Name");
        assertThatThrownBy(() -> c.withDc("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(c.withName("n7").withDc("eu-1").getName()).isEqualTo("n7");
        assertThat(c.getDc()).isEqualTo("eu-1");
    }

    @Test
    void cluster_hasOneToNineNodesNamedN1Up() {
        assertThatThrownBy(() -> TallyCluster.of(0, "tally-node:dev")).hasMessageContaining("1..9");
        try (TallyCluster cluster = TallyCluster.of(3, "tally-node:dev")) {
            assertThat(cluster.nodes()).extracting(TallyContainer::getName).containsExactly("n1", "n2", "n3");
            assertThat(cluster.node(2).getSettings()).containsEntry("seeds", "n1:7401,n2:7401,n3:7401")
                    .containsKey("cluster-id");
            assertThatThrownBy(cluster::getCaCertificatePath).hasMessageContaining("withTls()");
        }
    }
}
