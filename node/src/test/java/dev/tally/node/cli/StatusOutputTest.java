package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.ClusterMember;
import dev.tally.client.ClusterMember.State;
import dev.tally.client.ClusterStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The members table for a cluster of several members in every state (a node running alone only
 * ever reports itself, alive; replication fills in the rest).
 */
class StatusOutputTest {

  private static final ClusterStatus THREE = new ClusterStatus("prod", "node-b", List.of(
      new ClusterMember("node-a", "us-east", "00000000000000a1", "10.0.0.1:7400", "10.0.0.1:7401",
          State.ALIVE, false, Duration.ofMillis(850), 12, false),
      new ClusterMember("node-b", "us-east", "00000000000000b2", "10.0.0.2:7400", "10.0.0.2:7401",
          State.ALIVE, true, Duration.ZERO, 0, false),
      new ClusterMember("node-c-long-name", "eu-west", "", "", "",
          State.SUSPECT, false, Duration.ofSeconds(245), 100_000, true),
      new ClusterMember("node-d", "eu-west", "00000000000000d4", "10.1.0.4:7400", "10.1.0.4:7401",
          State.DEAD, false, Duration.ofMillis(12_345), 7, true),
      new ClusterMember("node-e", "eu-west", "00000000000000e5", "10.1.0.5:7400", "10.1.0.5:7401",
          State.UNKNOWN, false, Duration.ZERO, 0, false)));

  @Test
  void print_aNodeThatTookANewReplicaId_saysWhyUnderTheTable() {
    ClusterStatus rotated = new ClusterStatus("prod", "node-a", List.of(
        new ClusterMember("node-a", "us-east", "00000000000000f7", "10.0.0.1:7400", "10.0.0.1:7401",
            State.ALIVE, true, Duration.ZERO, 0, false,
            "took replica id 00000000000000f7 instead of 00000000000000a1: peer node-b refused")));

    assertThat(print(rotated, false)).endsWith(String.join("\n",
        "* the node that answered",
        "note: node-a took replica id 00000000000000f7 instead of 00000000000000a1: peer node-b refused",
        ""));
    assertThat(print(rotated, true)).contains(
        "\"replica_id_change\":\"took replica id 00000000000000f7 instead of 00000000000000a1: peer node-b refused\"");
  }

  private static String print(ClusterStatus status, boolean json) {
    StringWriter out = new StringWriter();
    StatusCommand.print(status, json, new PrintWriter(out));
    return out.toString();
  }

  @Test
  void print_severalMembers_alignsEveryColumnAndMarksTheAnsweringNode() {
    assertThat(print(THREE, false)).isEqualTo(String.join("\n",
        "cluster prod, as seen by node-b (5 members)",
        "NAME              DC       STATE    REPLICA ID        CLIENT ADDRESS  LAG    PENDING  NEEDS REPAIR",
        "node-a            us-east  alive    00000000000000a1  10.0.0.1:7400   850ms  12       no",
        "node-b *          us-east  alive    00000000000000b2  10.0.0.2:7400   0ms    0        no",
        "node-c-long-name  eu-west  suspect  -                 -               4m05s  100000   yes",
        "node-d            eu-west  dead     00000000000000d4  10.1.0.4:7400   12.3s  7        yes",
        "node-e            eu-west  unknown  00000000000000e5  10.1.0.5:7400   0ms    0        no",
        "* the node that answered",
        ""));
  }

  @Test
  void print_text_notesRetriedWritesStillBeingResolved() {
    ClusterStatus pending = new ClusterStatus(THREE.clusterId(), THREE.node(), THREE.members(), 2);

    assertThat(print(pending, false)).contains("note: node-b applied 2 retried writes without an answer from every"
        + " prior node; resolving them in the background (the count may be over by their amounts until then)");
    assertThat(print(THREE, false)).doesNotContain("retried");
    assertThat(print(pending, true)).endsWith(",\"failover_pending\":2}\n");
  }

  @Test
  void print_json_listsEveryMemberWithAllFields() {
    String json = print(THREE, true);

    assertThat(json.lines()).hasSize(1);
    assertThat(json).startsWith("{\"cluster_id\":\"prod\",\"node\":\"node-b\",\"members\":[{\"name\":\"node-a\",")
        .contains("{\"name\":\"node-c-long-name\",\"dc\":\"eu-west\",\"state\":\"SUSPECT\",\"replica_id\":\"\","
            + "\"client_address\":\"\",\"peer_address\":\"\",\"self\":false,\"replication_lag_ms\":245000,"
            + "\"pending_keys\":100000,\"needs_repair\":true}")
        .endsWith("\"state\":\"UNKNOWN\",\"replica_id\":\"00000000000000e5\",\"client_address\":\"10.1.0.5:7400\","
            + "\"peer_address\":\"10.1.0.5:7401\",\"self\":false,\"replication_lag_ms\":0,\"pending_keys\":0,"
            + "\"needs_repair\":false}],\"failover_pending\":0}\n");
  }

  @Test
  void lag_readsAtAGlance() {
    assertThat(StatusCommand.lag(Duration.ZERO)).isEqualTo("0ms");
    assertThat(StatusCommand.lag(Duration.ofMillis(999))).isEqualTo("999ms");
    assertThat(StatusCommand.lag(Duration.ofMillis(1_050))).isEqualTo("1.1s");
    assertThat(StatusCommand.lag(Duration.ofMinutes(61).plusSeconds(1))).isEqualTo("61m01s");
  }
}
