package dev.tally.node.bench;

import java.util.Locale;

/** How the load generator picks the key of each call among {@code --keys} keys. */
public enum KeyDistribution {
  /** Every key equally likely. */
  UNIFORM,
  /** Zipf-distributed (theta 0.99, as YCSB): key 0 hottest, a long tail of cold keys. */
  ZIPFIAN,
  /** Every call on one key: the hot-key case that group commit must coalesce. */
  HOT;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** A picker over {@code keys} keys. */
  KeyPicker picker(int keys) {
    switch (this) {
      case UNIFORM:
        return random -> random.nextInt(keys);
      case ZIPFIAN:
        return new ZipfianPicker(keys, ZipfianPicker.YCSB_THETA);
      default:
        return random -> 0;
    }
  }
}
