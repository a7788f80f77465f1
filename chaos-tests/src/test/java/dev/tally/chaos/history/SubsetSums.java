package dev.tally.chaos.history;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The values {@code sum(S)} for every subset S of a list of signed amounts: exactly while the
 * set of reachable sums stays small, else just its bounds (the sum of the negative amounts and
 * the sum of the positive ones).
 *
 * <p>With amounts of a few units, as the chaos workloads use, the reachable set grows with
 * {@code count * max amount}, not {@code 2^count}, so it stays exact for thousands of
 * indeterminate operations.
 */
public final class SubsetSums {

    /** Default cap on the number of distinct sums kept before falling back to bounds. */
    public static final int DEFAULT_MAX_SUMS = 200_000;

    private final Set<Long> sums; // null when only bounds are known
    private final long min;
    private final long max;
    private final int count;

    private SubsetSums(Set<Long> sums, long min, long max, int count) {
        this.sums = sums;
        this.min = min;
        this.max = max;
        this.count = count;
    }

    /** Sums of subsets of {@code amounts}, exact while at most {@code maxSums} distinct values. */
    public static SubsetSums of(List<Long> amounts, int maxSums) {
        if (maxSums < 1) {
            throw new IllegalArgumentException("maxSums must be >= 1, was " + maxSums);
        }
        long min = 0;
        long max = 0;
        Set<Long> sums = new HashSet<>();
        sums.add(0L);
        for (long a : amounts) {
            if (a < 0) {
                min = Math.addExact(min, a);
            } else {
                max = Math.addExact(max, a);
            }
            if (sums != null) {
                Set<Long> next = new HashSet<>(sums);
                for (long s : sums) {
                    next.add(Math.addExact(s, a));
                }
                sums = next.size() > maxSums ? null : next;
            }
        }
        return new SubsetSums(sums, min, max, amounts.size());
    }

    public static SubsetSums of(List<Long> amounts) {
        return of(amounts, DEFAULT_MAX_SUMS);
    }

    /** Whether {@link #contains} is exact (true) or only checks the bounds (false). */
    public boolean exact() {
        return sums != null;
    }

    /** Smallest reachable sum. */
    public long min() {
        return min;
    }

    /** Largest reachable sum. */
    public long max() {
        return max;
    }

    /** Whether some subset sums to {@code value} (within bounds, when not exact). */
    public boolean contains(long value) {
        return sums != null ? sums.contains(value) : value >= min && value <= max;
    }

    public String describe() {
        return count + " amounts, sums in [" + min + ", " + max + "]"
                + (exact() ? ", exact (" + sums.size() + " reachable)" : ", bounds only (too many distinct sums)");
    }
}
