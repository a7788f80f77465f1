package dev.tally.node.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ReplicationDelayTest {

  private static String scrape(double le1, double le10, double le100, double inf, String peer) {
    return "# HELP tally_replication_delay_seconds ...\n"
        + "tally_replication_delay_seconds_bucket{dc=\"dc1\",node=\"n1\",peer=\"" + peer + "\",le=\"0.001\"} " + le1 + "\n"
        + "tally_replication_delay_seconds_bucket{dc=\"dc1\",node=\"n1\",peer=\"" + peer + "\",le=\"0.01\"} " + le10 + "\n"
        + "tally_replication_delay_seconds_bucket{dc=\"dc1\",node=\"n1\",peer=\"" + peer + "\",le=\"0.1\"} " + le100 + "\n"
        + "tally_replication_delay_seconds_bucket{dc=\"dc1\",node=\"n1\",peer=\"" + peer + "\",le=\"+Inf\"} " + inf + "\n"
        + "tally_replication_delay_seconds_count{dc=\"dc1\",node=\"n1\",peer=\"" + peer + "\"} " + inf + "\n"
        + "tally_replication_delay_recent_seconds{dc=\"dc1\",node=\"n1\",peer=\"" + peer + "\",quantile=\"0.99\"} 0.5\n";
  }

  @Test
  void window_addsPeersSubtractsTheStartAndInterpolatesInsideABucket() {
    ReplicationDelay.Snapshot before = ReplicationDelay.parse(scrape(10, 10, 10, 10, "n2") + scrape(0, 0, 0, 0, "n3"));
    // In the window: 100 samples at n2 (50 under 1 ms, 40 under 10 ms, 10 under 100 ms), none slower.
    ReplicationDelay.Snapshot after = ReplicationDelay.parse(scrape(60, 100, 110, 110, "n2") + scrape(0, 0, 0, 0, "n3"));

    ReplicationDelay.Snapshot window = after.minus(before);

    assertThat(window.count()).isEqualTo(100);
    assertThat(window.quantileMillis(0.5)).isCloseTo(1.0, within(1e-9));
    assertThat(window.quantileMillis(0.7)).isCloseTo(1 + 9 * 0.5, within(1e-9));
    assertThat(window.quantileMillis(0.99)).isCloseTo(10 + 90 * 0.9, within(1e-9));
  }

  @Test
  void quantile_beyondTheLargestBucket_isThatBucketsBound_andNoSamplesIsNaN() {
    ReplicationDelay.Snapshot slow = ReplicationDelay.parse(scrape(0, 0, 0, 5, "n2"));
    assertThat(slow.quantileMillis(0.99)).isEqualTo(100);
    assertThat(ReplicationDelay.parse("").quantileMillis(0.5)).isNaN();
  }
}
