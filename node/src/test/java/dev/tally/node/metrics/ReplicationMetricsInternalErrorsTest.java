package dev.tally.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.status.InternalErrors;
import dev.tally.gossip.store.StoreException;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** Issue 11, defect 4: what an operator scrapes when an engine task fails. */
class ReplicationMetricsInternalErrorsTest {
  @Test
  void internalError_isCountedPerTask_asTallyInternalErrorsTotal() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ReplicationMetrics metrics = new ReplicationMetrics(registry);

    metrics.internalError(InternalErrors.TASK_DELTA_PUSH, new StoreException("disk full"));
    metrics.internalError(InternalErrors.TASK_DELTA_PUSH, new StoreException("disk full"));
    metrics.internalError(InternalErrors.TASK_ANTI_ENTROPY, new StoreException("disk full"));

    String body = registry.scrape();
    assertThat(body).contains("tally_internal_errors_total{task=\"delta-push\"} 2.0")
        .contains("tally_internal_errors_total{task=\"anti-entropy\"} 1.0");
  }
}
