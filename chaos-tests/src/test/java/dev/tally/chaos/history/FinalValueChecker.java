package dev.tally.chaos.history;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Maelstrom's pn-counter rule for the reads taken after every fault has healed and the cluster
 * has settled: each node's value of a key must equal the sum of the acknowledged adds plus the
 * sum of some subset of the indeterminate ones, and all nodes must agree. Definitely failed adds
 * count for nothing. When clients retried every add with its request id until acknowledged, no
 * add is indeterminate and the value must be exactly the sum of all of them.
 *
 * <p>Keys start at 0: a run must use keys no earlier run wrote.
 */
public final class FinalValueChecker {

    /** How many acknowledged adds a violation lists (the latest ones). */
    private static final int MAX_ACKED_LISTED = 10;
    /** How many indeterminate adds a violation lists. */
    private static final int MAX_INDETERMINATE_LISTED = 30;

    /** One node's value of one key after heal. */
    public record FinalRead(String node, String key, long value) {}

    private final int maxSums;

    public FinalValueChecker() {
        this(SubsetSums.DEFAULT_MAX_SUMS);
    }

    /** @param maxSums cap on the exact subset-sum set before falling back to bounds */
    public FinalValueChecker(int maxSums) {
        this.maxSums = maxSums;
    }

    /**
     * @param ops        the run's operations
     * @param finalReads at least one read per node and key; every node in {@code nodes} must have
     *                   read every key that was written or read during the run
     * @param nodes      the nodes that must all agree
     */
    public CheckResult check(Operations ops, Collection<FinalRead> finalReads, Collection<String> nodes) {
        List<Violation> violations = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<String, Map<String, Long>> byKey = new TreeMap<>();
        for (FinalRead r : finalReads) {
            Long previous = byKey.computeIfAbsent(r.key(), k -> new TreeMap<>()).put(r.node(), r.value());
            if (previous != null && previous != r.value()) {
                violations.add(new Violation("final-value", r.key(), r.node(), "two final reads on " + r.node()
                        + " of \"" + r.key() + "\" disagree (" + previous + " and " + r.value()
                        + "): the cluster had not settled", List.of()));
            }
        }
        SortedSet<String> keys = new TreeSet<>(ops.keys());
        keys.addAll(byKey.keySet());
        for (String key : keys) {
            checkKey(key, ops.adds(key), byKey.getOrDefault(key, Map.of()), nodes, violations, notes);
        }
        return new CheckResult(violations, notes);
    }

    private void checkKey(String key, List<LogicalAdd> adds, Map<String, Long> values, Collection<String> nodes,
                          List<Violation> violations, List<String> notes) {
        long acked = 0;
        List<Long> indeterminate = new ArrayList<>();
        List<LogicalAdd> ackedAdds = new ArrayList<>();
        List<LogicalAdd> indeterminateAdds = new ArrayList<>();
        int failed = 0;
        for (LogicalAdd a : adds) {
            switch (a.status()) {
                case OK -> {
                    acked = Math.addExact(acked, a.delta());
                    ackedAdds.add(a);
                }
                case INFO -> {
                    indeterminate.add(a.delta());
                    indeterminateAdds.add(a);
                }
                case FAIL -> failed++;
                default -> throw new AssertionError("status of a logical add: " + a.status());
            }
        }
        SubsetSums subsets = SubsetSums.of(indeterminate, maxSums);
        long min = Math.addExact(acked, subsets.min());
        long max = Math.addExact(acked, subsets.max());
        notes.add("\"" + key + "\": " + ackedAdds.size() + " acknowledged adds summing to " + acked + ", "
                + failed + " failed, indeterminate: " + subsets.describe());

        List<String> involved = involved(ackedAdds, indeterminateAdds);
        Map<String, Long> seen = new LinkedHashMap<>();
        for (String node : nodes) {
            Long value = values.get(node);
            if (value == null) {
                violations.add(new Violation("final-value", key, node, "no final read of \"" + key + "\" on " + node
                        + ": every node must be read after heal", List.of()));
                continue;
            }
            seen.put(node, value);
            String context = node + " reads " + value + " for \"" + key + "\" after heal; the " + ackedAdds.size()
                    + " acknowledged adds sum to " + acked + " and the " + indeterminate.size()
                    + " indeterminate ones allow ";
            if (value < min) {
                violations.add(new Violation("final-value", key, node, "lost: " + context + "[" + min + ", " + max
                        + "]; " + (min - value) + " below the minimum, so acknowledged operations are missing",
                        involved));
            } else if (value > max) {
                violations.add(new Violation("final-value", key, node, "doubled: " + context + "[" + min + ", " + max
                        + "]; " + (value - max) + " above the maximum, so operations were counted twice or invented",
                        involved));
            } else if (!subsets.contains(value - acked)) {
                violations.add(new Violation("final-value", key, node, "impossible: " + context
                        + "no subset summing to " + (value - acked) + " (amounts " + indeterminate + ")", involved));
            }
        }
        if (seen.values().stream().distinct().count() > 1) {
            violations.add(new Violation("convergence", key, "", "replicas diverged after heal on \"" + key + "\": "
                    + seen, List.of()));
        }
    }

    private static List<String> involved(List<LogicalAdd> acked, List<LogicalAdd> indeterminate) {
        List<String> lines = new ArrayList<>();
        int skipped = Math.max(0, acked.size() - MAX_ACKED_LISTED);
        if (skipped > 0) {
            lines.add("(" + skipped + " earlier acknowledged adds not listed)");
        }
        for (LogicalAdd a : acked.subList(skipped, acked.size())) {
            lines.add(a.describe());
        }
        for (int i = 0; i < indeterminate.size(); i++) {
            if (i == MAX_INDETERMINATE_LISTED) {
                lines.add("(" + (indeterminate.size() - i) + " more indeterminate adds not listed)");
                break;
            }
            lines.add(indeterminate.get(i).describe());
        }
        return lines;
    }
}
