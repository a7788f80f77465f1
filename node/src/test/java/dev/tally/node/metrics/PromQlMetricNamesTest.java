package dev.tally.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlMetricNamesTest {

    @Test
    void of_histogramQuantile_isTheBucketSeriesOnly() {
        assertThat(PromQlMetricNames.of("histogram_quantile(0.99, sum by (le, method) (rate("
                + "tally_grpc_server_calls_seconds_bucket{dc=~\"$dc\", method!~\".*/Watch\"}[$__rate_interval])))"))
                .containsExactly("tally_grpc_server_calls_seconds_bucket");
    }

    @Test
    void of_binaryExpressionWithGroupingAndOffset_isBothSides() {
        assertThat(PromQlMetricNames.of("sum by (node) (rate(a_sum{x=\"by (y)\"}[5m] offset 1h)) / on (node) "
                + "group_left (dc) sum without (peer) (b_count) > bool 1e3"))
                .containsExactly("a_sum", "b_count");
    }

    @Test
    void of_grafanaLabelValues_isItsMetric() {
        assertThat(PromQlMetricNames.of("label_values(tally_store_healthy{dc=~\"$dc\"}, node)"))
                .containsExactly("tally_store_healthy");
    }

    @Test
    void of_bareSelectorAndSubquery() {
        assertThat(PromQlMetricNames.of("max_over_time(tally_replication_lag_milliseconds[10m:1m]) and up"))
                .containsExactly("tally_replication_lag_milliseconds", "up");
    }
}
