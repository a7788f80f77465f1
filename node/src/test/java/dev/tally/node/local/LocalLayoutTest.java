package dev.tally.node.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Names, data centers, ports, directories and seeds of a local cluster. */
class LocalLayoutTest {

  @Test
  void nodes_areSpreadRoundRobinOverDcs_tenPortsApart_andTheFirstOfEachDcIsASeed() {
    LocalLayout layout = new LocalLayout(5, 2, Path.of("/c"), 7400);

    assertThat(layout.all()).extracting(LocalLayout.Node::name).containsExactly("n1", "n2", "n3", "n4", "n5");
    assertThat(layout.all()).extracting(LocalLayout.Node::dc).containsExactly("dc1", "dc2", "dc1", "dc2", "dc1");
    LocalLayout.Node n3 = layout.all().get(2);
    assertThat(n3.clientPort()).isEqualTo(7420);
    assertThat(n3.peerPort()).isEqualTo(7421);
    assertThat(n3.membershipPort()).isEqualTo(7422);
    assertThat(n3.metricsPort()).isEqualTo(7423);
    assertThat(n3.httpPort()).isEqualTo(7424);
    assertThat(n3.httpAddress()).isEqualTo("http://127.0.0.1:7424");
    assertThat(n3.dataDir()).isEqualTo(Path.of("/c/n3/data"));
    assertThat(n3.log()).isEqualTo(Path.of("/c/n3/node.log"));
    assertThat(layout.seeds()).containsExactly("127.0.0.1:7401", "127.0.0.1:7411");
  }

  @Test
  void outOfRangeCounts_nameTheOption() {
    assertThatThrownBy(() -> new LocalLayout(21, 1, Path.of("/c"), 7400)).hasMessageContaining("--nodes must be 1..20");
    assertThatThrownBy(() -> new LocalLayout(2, 3, Path.of("/c"), 7400)).hasMessageContaining("--dcs must be 1..--nodes (2)");
    assertThatThrownBy(() -> new LocalLayout(3, 1, Path.of("/c"), 80)).hasMessageContaining("--base-port");
  }
}
