package dev.tally.node.bench;

import java.util.SplittableRandom;

/**
 * Zipf-distributed key indexes, rank 0 the most frequent: the rejection-free method of Gray et al.,
 * "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994), as YCSB uses it. The
 * constants are computed once; {@link #next} is O(1) and allocation-free.
 */
final class ZipfianPicker implements KeyPicker {
  /** YCSB's default skew. */
  static final double YCSB_THETA = 0.99;

  private final int items;
  private final double theta;
  private final double zetaN;
  private final double alpha;
  private final double eta;
  private final double secondThreshold;

  ZipfianPicker(int items, double theta) {
    if (items < 1) {
      throw new IllegalArgumentException("items must be >= 1, got " + items);
    }
    if (!(theta > 0 && theta < 1)) {
      throw new IllegalArgumentException("theta must be in (0, 1), got " + theta);
    }
    this.items = items;
    this.theta = theta;
    this.zetaN = zeta(items, theta);
    double zeta2 = zeta(Math.min(items, 2), theta);
    this.alpha = 1.0 / (1.0 - theta);
    this.eta = items < 2 ? 0 : (1 - Math.pow(2.0 / items, 1 - theta)) / (1 - zeta2 / zetaN);
    this.secondThreshold = 1.0 + Math.pow(0.5, theta);
  }

  @Override
  public int next(SplittableRandom random) {
    if (items == 1) {
      return 0;
    }
    double u = random.nextDouble();
    double uz = u * zetaN;
    if (uz < 1.0) {
      return 0;
    }
    if (uz < secondThreshold) {
      return 1;
    }
    int k = (int) (items * Math.pow(eta * u - eta + 1, alpha));
    return Math.min(Math.max(k, 0), items - 1);
  }

  /** The probability of rank {@code k} under the exact distribution, for tests. */
  double probability(int k) {
    return 1.0 / Math.pow(k + 1, theta) / zetaN;
  }

  private static double zeta(int n, double theta) {
    double sum = 0;
    for (int i = 1; i <= n; i++) {
      sum += 1.0 / Math.pow(i, theta);
    }
    return sum;
  }
}
