package dev.tally.chaos.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrometheusTextTest {

    private static final String EXPOSITION = """
            # HELP tally_replication_delay_seconds per key: commit here to the peer's durable ack
            # TYPE tally_replication_delay_seconds summary
            tally_replication_delay_seconds{dc="dc1",node="n1",peer="n4",quantile="0.5",} 0.131072
            tally_replication_delay_seconds{dc="dc1",node="n1",peer="n4",quantile="0.99",} 0.25
            tally_replication_delay_seconds_count{dc="dc1",node="n1",peer="n4",} 42.0

            tally_replication_lag_milliseconds{dc="dc1",node="n1",peer="n4"} 120 1700000000000
            odd_label{path="a \\"quoted\\" \\\\ value"} +Inf
            up 1
            """;

    @Test
    void parse_samplesWithLabelsTimestampsAndSpecialValues() {
        PrometheusText text = PrometheusText.parse(EXPOSITION);

        assertThat(text.samples()).hasSize(6);
        assertThat(text.samples("tally_replication_delay_seconds", s -> s.label("quantile").equals("0.99")))
                .singleElement().satisfies(s -> {
                    assertThat(s.value()).isEqualTo(0.25);
                    assertThat(s.label("peer")).isEqualTo("n4");
                });
        assertThat(text.samples("tally_replication_lag_milliseconds")).singleElement()
                .extracting(PrometheusText.Sample::value).isEqualTo(120.0);
        assertThat(text.samples("odd_label")).singleElement().satisfies(s -> {
            assertThat(s.label("path")).isEqualTo("a \"quoted\" \\ value");
            assertThat(s.value()).isInfinite();
        });
        assertThat(text.samples("up")).singleElement().extracting(s -> s.labels().isEmpty()).isEqualTo(true);
    }

    @Test
    void parse_malformedLine_rejectedQuotingIt() {
        assertThatThrownBy(() -> PrometheusText.parse("metric{a=\"b\" 1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metric{a=\"b\" 1");
        assertThatThrownBy(() -> PrometheusText.parse("metric one"))
                .hasMessageStartingWith("bad sample value 'one'");
    }
}
