package dev.tally.node.bench;

import dev.tally.node.config.HostPort;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replication delay over a window, from the nodes' {@code tally_replication_delay_seconds}
 * histograms on /metrics (per key of an acknowledged delta push: from its durable commit on the
 * writing node to the peer's durable ack): scrape every node before and after, subtract, add the
 * buckets of every node and peer, and read quantiles off the result with linear interpolation
 * inside a bucket (as Prometheus' {@code histogram_quantile}).
 */
final class ReplicationDelay {
  private static final Pattern BUCKET =
      Pattern.compile("^tally_replication_delay_seconds_bucket\\{([^}]*)\\}\\s+([0-9.eE+-]+)\\s*$");
  private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

  /** Cumulative counts by bucket upper bound (seconds; +Inf as infinity), summed over peers. */
  record Snapshot(TreeMap<Double, Double> cumulative) {
    Snapshot minus(Snapshot earlier) {
      TreeMap<Double, Double> out = new TreeMap<>();
      cumulative.forEach((le, n) -> out.put(le, n - earlier.cumulative.getOrDefault(le, 0.0)));
      return new Snapshot(out);
    }

    Snapshot plus(Snapshot other) {
      TreeMap<Double, Double> out = new TreeMap<>(cumulative);
      other.cumulative.forEach((le, n) -> out.merge(le, n, Double::sum));
      return new Snapshot(out);
    }

    double count() {
      return cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
    }

    /** The q-quantile in milliseconds; NaN without samples. */
    double quantileMillis(double q) {
      double total = count();
      if (total <= 0) {
        return Double.NaN;
      }
      double rank = q * total;
      double previousLe = 0;
      double previousCount = 0;
      for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
        if (e.getValue() >= rank) {
          if (Double.isInfinite(e.getKey())) {
            return previousLe * 1000; // beyond the largest bucket: its bound is all we know
          }
          double inBucket = e.getValue() - previousCount;
          double fraction = inBucket <= 0 ? 1 : (rank - previousCount) / inBucket;
          return (previousLe + (e.getKey() - previousLe) * fraction) * 1000;
        }
        previousLe = Double.isInfinite(e.getKey()) ? previousLe : e.getKey();
        previousCount = e.getValue();
      }
      return previousLe * 1000;
    }
  }

  /** What the report shows. */
  record Summary(long acknowledgedKeys, double p50, double p90, double p99, double p999, int nodes) {}

  private final List<HostPort> metrics;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Snapshot before;

  ReplicationDelay(List<HostPort> metrics) {
    this.metrics = List.copyOf(metrics);
  }

  /** Scrapes every node now: the start of the window. */
  void start() {
    before = scrapeAll();
  }

  /** Scrapes every node again and summarises the window. */
  Summary finish() {
    Snapshot window = scrapeAll().minus(before);
    return new Summary(Math.round(window.count()), window.quantileMillis(0.5), window.quantileMillis(0.9),
        window.quantileMillis(0.99), window.quantileMillis(0.999), metrics.size());
  }

  private Snapshot scrapeAll() {
    Snapshot sum = new Snapshot(new TreeMap<>());
    for (HostPort hp : metrics) {
      String text;
      try {
        text = http.send(HttpRequest.newBuilder(URI.create("http://" + hp + "/metrics")).timeout(Duration.ofSeconds(10))
            .build(), HttpResponse.BodyHandlers.ofString()).body();
      } catch (IOException e) {
        throw new BenchException("cannot read the metrics of " + hp + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BenchException("interrupted reading the metrics of " + hp, e);
      }
      sum = sum.plus(parse(text));
    }
    return sum;
  }

  /** The delay histogram of one /metrics text, every peer's buckets added together. */
  static Snapshot parse(String metricsText) {
    TreeMap<Double, Double> out = new TreeMap<>();
    for (String line : metricsText.split("\n")) {
      Matcher m = BUCKET.matcher(line);
      if (!m.matches()) {
        continue;
      }
      Matcher le = LE.matcher(m.group(1));
      if (!le.find()) {
        continue;
      }
      double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
      out.merge(bound, Double.parseDouble(m.group(2)), Double::sum);
    }
    return new Snapshot(out);
  }

  static List<HostPort> parseTargets(String text) {
    return new ArrayList<>(Endpoints.parse(text));
  }
}
