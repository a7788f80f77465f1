package dev.tally.node.bench;

import org.HdrHistogram.Histogram;

/** Percentiles of one histogram of call latencies, in milliseconds. */
public record LatencySummary(long count, double p50, double p90, double p99, double p999, double max, double mean) {

  static final LatencySummary EMPTY = new LatencySummary(0, 0, 0, 0, 0, 0, 0);

  /** From a histogram of nanoseconds. */
  static LatencySummary of(Histogram nanos) {
    if (nanos.getTotalCount() == 0) {
      return EMPTY;
    }
    return new LatencySummary(nanos.getTotalCount(), ms(nanos.getValueAtPercentile(50)),
        ms(nanos.getValueAtPercentile(90)), ms(nanos.getValueAtPercentile(99)), ms(nanos.getValueAtPercentile(99.9)),
        ms(nanos.getMaxValue()), nanos.getMean() / 1e6);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
