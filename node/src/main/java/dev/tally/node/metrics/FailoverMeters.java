package dev.tally.node.metrics;

import dev.tally.gossip.failover.FailoverMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * Exactly-once across failover in Micrometer: {@code tally_failover_resolutions_total{outcome}},
 * {@code tally_failover_compensations_total} and the gauge {@code tally_failover_pending}.
 */
public final class FailoverMeters implements FailoverMetrics {
  private final Map<Outcome, Counter> resolutions = new EnumMap<>(Outcome.class);
  private final Counter compensations;

  public FailoverMeters(MeterRegistry registry) {
    for (Outcome o : Outcome.values()) {
      resolutions.put(o, Counter.builder("tally.failover.resolutions")
          .description("Retried writes that named prior_nodes, by how their resolution ended (pending_* in the background)")
          .tag("outcome", o.label()).register(registry));
    }
    compensations = Counter.builder("tally.failover.compensations")
        .description("Retried writes this node applied and then undid on its own entry because a prior node's application counts")
        .register(registry);
  }

  /** The gauge of retried writes applied here still waiting for a prior node's answer. */
  public static void registerPending(MeterRegistry registry, IntSupplier pending) {
    Gauge.builder("tally.failover.pending", () -> pending.getAsInt()).strongReference(true)
        .description("Retried writes applied here without an answer from every prior node, being resolved in the background")
        .register(registry);
  }

  @Override
  public void resolved(Outcome outcome) {
    resolutions.get(outcome).increment();
  }

  @Override
  public void compensated() {
    compensations.increment();
  }
}
