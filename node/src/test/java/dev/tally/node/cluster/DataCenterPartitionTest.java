package dev.tally.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed scenario: two data centers cut off from each other keep counting on both sides; each
 * shows only its own increments until the link heals, then every node shows the total.
 */
class DataCenterPartitionTest {
  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();

  @TempDir
  Path tmp;

  @Test
  void isolatedDataCenters_eachCountOnlyTheirOwn_andAfterTheHealEveryNodeShowsTheTotal() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec()
        .node("a1", "east").node("a2", "east").node("b1", "west").node("b2", "west"));
    c.awaitMembership();
    List<String> east = c.namesIn("east");
    List<String> west = c.namesIn("west");
    c.faults().cut(east, west);

    long eastTotal = 0;
    long westTotal = 0;
    for (int i = 0; i < 40; i++) {
      String node = c.names().get(i % 4);
      long amount = 1 + i % 3;
      c.stub(node).increment(IncrementRequest.newBuilder().setKey("link:views").setAmount(amount).build());
      if (east.contains(node)) {
        eastTotal += amount;
      } else {
        westTotal += amount;
      }
    }

    c.awaitValuesOn(east, Map.of("link:views", eastTotal));
    c.awaitValuesOn(west, Map.of("link:views", westTotal));
    // Converged inside each DC, and still only its own: nothing crossed the cut.
    for (String n : east) {
      assertThat(c.value(n, "link:views")).as(n).isEqualTo(eastTotal);
    }
    for (String n : west) {
      assertThat(c.value(n, "link:views")).as(n).isEqualTo(westTotal);
    }

    c.faults().heal();

    c.awaitValues(Map.of("link:views", eastTotal + westTotal));
  }
}
