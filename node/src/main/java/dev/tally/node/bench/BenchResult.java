package dev.tally.node.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The outcome of one benchmark run.
 *
 * @param target what was driven ({@link LoadTarget#describe})
 * @param targetKind {@code tally} or {@code redis}
 * @param seconds the measured interval (after the warm-up)
 * @param calls calls completed successfully in the measured interval
 * @param latency every successful call measured, including calls still in flight at the end
 *     (their latency counts; they do not count toward throughput)
 * @param errors failed calls in the measured interval, by code
 * @param notSent open loop only: calls that were due in the measured interval but not sent because
 *     {@code concurrency} calls were already in flight (the server did not keep up with the rate)
 * @param loadAverageStart the machine's 1-minute load average when measuring began; -1 if unknown
 * @param clientCpuMicrosPerCall CPU the load generator's process used per completed call
 * @param replicationDelay with {@code --replication-metrics}: the cluster's replication delay over
 *     the measured interval; null otherwise
 */
public record BenchResult(String target, String targetKind, LoadSettings settings, double seconds, long calls,
    LatencySummary latency, Map<Operation, OperationResult> byOperation, SortedMap<String, Long> errors, long notSent,
    double loadAverageStart, double loadAverageEnd, int cores, double clientCpuMicrosPerCall,
    ReplicationDelay.Summary replicationDelay) {

  public BenchResult {
    byOperation = Map.copyOf(new EnumMap<>(byOperation));
    errors = new TreeMap<>(errors);
  }

  /** This result with the replication delay measured over its interval. */
  public BenchResult withReplicationDelay(ReplicationDelay.Summary delay) {
    return new BenchResult(target, targetKind, settings, seconds, calls, latency, byOperation, errors, notSent,
        loadAverageStart, loadAverageEnd, cores, clientCpuMicrosPerCall, delay);
  }

  public double callsPerSecond() {
    return seconds <= 0 ? 0 : calls / seconds;
  }

  /** Counters touched per second: calls times the batch size for batch, else calls. */
  public double itemsPerSecond() {
    double items = 0;
    for (OperationResult r : byOperation.values()) {
      items += (double) r.calls() * settings.itemsPer(r.operation());
    }
    return seconds <= 0 ? 0 : items / seconds;
  }

  public long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The JSON form of {@code --json}: one object, field names stable for scripts. Counts are whole
   * numbers; a rate or latency that is not finite (nothing measured) is {@code null}.
   */
  public String toJson() {
    ObjectNode m = JSON.createObjectNode()
        .put("target", target)
        .put("targetKind", targetKind)
        .put("workload", settings.workload().label())
        .put("distribution", settings.distribution().label())
        .put("keys", settings.keys())
        .put("concurrency", settings.concurrency());
    finite(m, "rate", settings.rate());
    m.put("loop", settings.openLoop() ? "open" : "closed")
        .put("batchSize", settings.workload() == Workload.BATCH ? settings.batchSize() : 1)
        .put("ratio", settings.workload() == Workload.MIXED ? settings.readWeight() + ":" + settings.writeWeight() : null);
    finite(m, "warmupSeconds", settings.warmup().toMillis() / 1000.0);
    finite(m, "seconds", seconds);
    m.put("seed", settings.seed())
        .put("calls", calls);
    finite(m, "callsPerSecond", callsPerSecond());
    finite(m, "itemsPerSecond", itemsPerSecond());
    latencyJson(m.putObject("latencyMs"), latency);
    ObjectNode ops = m.putObject("operations");
    for (Operation op : Operation.values()) {
      OperationResult r = byOperation.get(op);
      if (r != null) {
        ObjectNode o = ops.putObject(op.label()).put("calls", r.calls());
        finite(o, "callsPerSecond", r.callsPerSecond());
        latencyJson(o.putObject("latencyMs"), r.latency());
      }
    }
    ObjectNode errorsByCode = m.putObject("errors");
    errors.forEach(errorsByCode::put);
    m.put("errorCount", errorCount())
        .put("notSent", notSent);
    finite(m, "loadAverageStart", loadAverageStart);
    finite(m, "loadAverageEnd", loadAverageEnd);
    m.put("cores", cores);
    finite(m, "clientCpuMicrosPerCall", clientCpuMicrosPerCall);
    if (replicationDelay != null) {
      ObjectNode d = m.putObject("replicationDelayMs");
      finite(d, "p50", replicationDelay.p50());
      finite(d, "p90", replicationDelay.p90());
      finite(d, "p99", replicationDelay.p99());
      finite(d, "p999", replicationDelay.p999());
      d.put("acknowledgedKeys", replicationDelay.acknowledgedKeys())
          .put("nodes", replicationDelay.nodes());
    }
    return m.toString();
  }

  private static void latencyJson(ObjectNode m, LatencySummary l) {
    finite(m, "p50", l.p50());
    finite(m, "p90", l.p90());
    finite(m, "p99", l.p99());
    finite(m, "p999", l.p999());
    finite(m, "max", l.max());
    finite(m, "mean", l.mean());
    m.put("count", l.count());
  }

  /** JSON has no NaN or infinity: Jackson would write them as strings, which scripts would misread. */
  private static void finite(ObjectNode m, String name, double v) {
    if (Double.isFinite(v)) {
      m.put(name, v);
    } else {
      m.putNull(name);
    }
  }

  /** The human report: a few aligned lines. */
  public List<String> render() {
    LoadSettings s = settings;
    String shape = (s.openLoop() ? String.format("open loop at %,.0f calls/s (at most %d in flight)", s.rate(), s.concurrency())
        : "closed loop, " + s.concurrency() + " in flight")
        + ", " + (s.distribution() == KeyDistribution.HOT ? "one hot key" : s.keys() + " keys " + s.distribution().label())
        + (s.workload() == Workload.BATCH ? ", " + s.batchSize() + " items per call" : "")
        + (s.workload() == Workload.MIXED ? ", read:write " + s.readWeight() + ":" + s.writeWeight() : "");
    List<String> out = new java.util.ArrayList<>();
    out.add("tally bench: " + s.workload().label() + " against " + target);
    out.add("  " + shape);
    out.add(String.format("  warm-up %s, measured %.1f s, seed %d", s.warmup().toMillis() / 1000.0 + " s", seconds, s.seed()));
    out.add(String.format("  throughput    %,.0f calls/s%s", callsPerSecond(),
        s.workload() == Workload.BATCH ? String.format(" = %,.0f increments/s", itemsPerSecond()) : ""));
    out.add("  latency       " + latencyLine(latency));
    if (byOperation.size() > 1) {
      for (OperationResult r : byOperation.values()) {
        out.add(String.format("    %-5s %,9.0f calls/s  %s", r.operation().label(), r.callsPerSecond(), latencyLine(r.latency())));
      }
    }
    out.add("  errors        " + (errors.isEmpty() ? "none" : errors.toString().replaceAll("[{}]", "").replace('=', ' ')));
    if (notSent > 0) {
      out.add(String.format("  not sent      %,d calls due at the target rate (the server fell behind)", notSent));
    }
    if (replicationDelay != null) {
      ReplicationDelay.Summary d = replicationDelay;
      out.add(String.format("  replication   delay p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f ms over %,d acknowledged keys"
          + " (tally_replication_delay_seconds of %d nodes)", d.p50(), d.p90(), d.p99(), d.p999(), d.acknowledgedKeys(),
          d.nodes()));
    }
    out.add(String.format("  machine       load average %.2f -> %.2f on %d cores; load generator CPU %.1f us per call",
        loadAverageStart, loadAverageEnd, cores, clientCpuMicrosPerCall));
    return out;
  }

  private static String latencyLine(LatencySummary l) {
    return String.format("p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms (mean %.3f)",
        l.p50(), l.p90(), l.p99(), l.p999(), l.max(), l.mean());
  }
}
