package dev.tally.node.bench;

import java.util.SplittableRandom;

/** Picks a key index in {@code [0, keys)}. Implementations are immutable; the random is the caller's. */
@FunctionalInterface
interface KeyPicker {
  int next(SplittableRandom random);
}
