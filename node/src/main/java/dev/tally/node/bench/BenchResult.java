package dev.tally.node.bench;

import dev.tally.node.json.Json;
import java.util.EnumMap;
import java.util.LinkedHashMap;
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

  /** The JSON form of {@code --json}: one object, field names stable for scripts. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", target);
    m.put("targetKind", targetKind);
    m.put("workload", settings.workload().label());
    m.put("distribution", settings.distribution().label());
    m.put("keys", settings.keys());
    m.put("concurrency", settings.concurrency());
    m.put("rate", settings.rate());
    m.put("loop", settings.openLoop() ? "open" : "closed");
    m.put("batchSize", settings.workload() == Workload.BATCH ? settings.batchSize() : 1);
    m.put("ratio", settings.workload() == Workload.MIXED ? settings.readWeight() + ":" + settings.writeWeight() : null);
    m.put("warmupSeconds", settings.warmup().toMillis() / 1000.0);
    m.put("seconds", seconds);
    m.put("seed", settings.seed());
    m.put("calls", calls);
    m.put("callsPerSecond", callsPerSecond());
    m.put("itemsPerSecond", itemsPerSecond());
    m.put("latencyMs", latencyJson(latency));
    Map<String, Object> ops = new LinkedHashMap<>();
    for (Operation op : Operation.values()) {
      OperationResult r = byOperation.get(op);
      if (r != null) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("calls", r.calls());
        o.put("callsPerSecond", r.callsPerSecond());
        o.put("latencyMs", latencyJson(r.latency()));
        ops.put(op.label(), o);
      }
    }
    m.put("operations", ops);
    m.put("errors", errors);
    m.put("errorCount", errorCount());
    m.put("notSent", notSent);
    m.put("loadAverageStart", loadAverageStart);
    m.put("loadAverageEnd", loadAverageEnd);
    m.put("cores", cores);
    m.put("clientCpuMicrosPerCall", clientCpuMicrosPerCall);
    if (replicationDelay != null) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("p50", replicationDelay.p50());
      d.put("p90", replicationDelay.p90());
      d.put("p99", replicationDelay.p99());
      d.put("p999", replicationDelay.p999());
      d.put("acknowledgedKeys", replicationDelay.acknowledgedKeys());
      d.put("nodes", replicationDelay.nodes());
      m.put("replicationDelayMs", d);
    }
    return Json.write(m);
  }

  private static Map<String, Object> latencyJson(LatencySummary l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("p50", l.p50());
    m.put("p90", l.p90());
    m.put("p99", l.p99());
    m.put("p999", l.p999());
    m.put("max", l.max());
    m.put("mean", l.mean());
    m.put("count", l.count());
    return m;
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
