package dev.tally.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What /metrics tells about replication, anti-entropy and membership on a 3-node cluster. */
class ReplicationMetricsTest {
  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();

  @TempDir
  Path tmp;

  private final HttpClient http = HttpClient.newHttpClient();

  private String metrics(int port) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The value of the first series matching {@code pattern} (with the value as its last group). */
  private static double value(String body, String pattern) {
    Matcher m = Pattern.compile(pattern + " ([0-9.eE+-]+)").matcher(body);
    assertThat(m.find()).as("a series matching %s in%n%s", pattern, body).isTrue();
    return Double.parseDouble(m.group(m.groupCount()));
  }

  @Test
  void metrics_afterReplication_showDeltaTrafficDelayLagAntiEntropyAndMembers() throws Exception {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1").withMetrics());
    c.awaitMembership();
    for (int i = 0; i < 50; i++) {
      c.stub("n1").increment(IncrementRequest.newBuilder().setKey("m" + i % 5).build());
    }
    c.awaitValues(Map.of("m0", 10L, "m4", 10L));
    int port = c.node("n1").metricsPort();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      String body = metrics(port);
      assertThat(value(body, "tally_antientropy_rounds_total\\{[^}]*outcome=\"completed\"[^}]*}")).isPositive();
      assertThat(value(body, "tally_replication_deltas_acked_total\\{[^}]*peer=\"n2\"[^}]*}")).isPositive();
    });
    String n1 = metrics(port);
    assertThat(value(n1, "tally_replication_deltas_sent_total\\{[^}]*peer=\"n2\"[^}]*}")).isPositive();
    assertThat(value(n1, "tally_replication_delta_states_sent_total\\{[^}]*peer=\"n3\"[^}]*}")).isGreaterThanOrEqualTo(5);
    assertThat(value(n1, "tally_replication_delta_sent_bytes_total\\{[^}]*peer=\"n3\"[^}]*}")).isPositive();
    assertThat(value(n1, "tally_replication_delay_seconds_count\\{[^}]*peer=\"n2\"[^}]*}")).isGreaterThanOrEqualTo(5);
    assertThat(n1).containsPattern("tally_replication_delay_seconds_bucket\\{[^}]*peer=\"n2\"[^}]*le=\"");
    assertThat(value(n1, "tally_replication_delay_recent_seconds\\{[^}]*peer=\"n2\"[^}]*quantile=\"0.99\"[^}]*}")).isPositive();
    assertThat(value(n1, "tally_replication_delay_recent_seconds\\{[^}]*peer=\"n3\"[^}]*quantile=\"0.5\"[^}]*}")).isPositive();
    assertThat(value(n1, "tally_replication_lag_milliseconds\\{[^}]*peer=\"n3\"[^}]*}")).isGreaterThanOrEqualTo(0);
    assertThat(value(n1, "tally_replication_pending_keys\\{[^}]*peer=\"n3\"[^}]*}")).isGreaterThanOrEqualTo(0);
    assertThat(value(n1, "tally_replication_needs_repair\\{[^}]*peer=\"n3\"[^}]*}")).isZero();
    assertThat(value(n1, "tally_membership_members\\{[^}]*state=\"alive\"[^}]*}")).isEqualTo(3);
    assertThat(value(n1, "tally_membership_members\\{[^}]*state=\"dead\"[^}]*}")).isZero();
    assertThat(value(n1, "tally_membership_changes_total\\{[^}]*state=\"alive\"[^}]*}")).isGreaterThanOrEqualTo(2);

    String n2 = metrics(c.node("n2").metricsPort());
    assertThat(value(n2, "tally_replication_delta_states_received_total\\{[^}]*peer=\"n1\"[^}]*}")).isGreaterThanOrEqualTo(5);
    assertThat(value(n2, "tally_replication_delta_states_applied_total\\{[^}]*peer=\"n1\"[^}]*}")).isGreaterThanOrEqualTo(5);
    assertThat(value(n2, "tally_replication_delta_received_bytes_total\\{[^}]*peer=\"n1\"[^}]*}")).isPositive();

    c.stop("n3");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(value(metrics(port), "tally_membership_members\\{[^}]*state=\"dead\"[^}]*}")).isEqualTo(1));
  }
}
