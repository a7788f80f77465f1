package dev.tally.chaos.history;

import dev.tally.chaos.history.FinalValueChecker.FinalRead;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What each side of a partition may show while the partition holds, once each side has settled:
 * the adds made before the split (the cluster had converged on them) plus the adds made on its
 * own side since, and nothing from the other side. With every add acknowledged (retry-until-ack)
 * that is one exact number per side; indeterminate adds widen it to the sums of their subsets.
 *
 * <p>An add belongs to the side of the node its attempts went to (a logical add never changes
 * node). "Before the split" means first invoked before history index {@code splitIndex}: the
 * caller must have stopped all load and waited for convergence before cutting the network.
 */
public final class SplitViewChecker {

    private static final int MAX_LISTED = 20;

    private final Map<String, String> sideOfNode;

    /** @param sideOfNode node name to the side it is on (its DC, for a DC partition) */
    public SplitViewChecker(Map<String, String> sideOfNode) {
        this.sideOfNode = Map.copyOf(sideOfNode);
    }

    /**
     * @param ops        the history so far
     * @param splitIndex history index at which the partition was injected
     * @param reads      settled reads taken while the partition held
     */
    public CheckResult check(Operations ops, long splitIndex, Collection<FinalRead> reads) {
        List<Violation> violations = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (FinalRead read : reads) {
            String side = Objects.requireNonNull(sideOfNode.get(read.node()), () -> "no side for " + read.node());
            long fixed = 0;
            List<Long> open = new ArrayList<>();
            List<String> involved = new ArrayList<>();
            long hidden = 0;
            for (LogicalAdd add : ops.adds(read.key())) {
                boolean before = add.firstInvokeIndex() < splitIndex;
                boolean ownSide = side.equals(sideOfNode.get(add.attempts().get(0).node()));
                if (!before && !ownSide) {
                    if (add.status() != EventType.FAIL) {
                        hidden = Math.addExact(hidden, add.delta());
                    }
                    continue;
                }
                switch (add.status()) {
                    case OK -> fixed = Math.addExact(fixed, add.delta());
                    case INFO -> open.add(add.delta());
                    default -> { }
                }
                if (!before && involved.size() < MAX_LISTED) {
                    involved.add((add.status() == EventType.OK ? "own side: " : "own side, not acknowledged: ")
                            + add.describe());
                }
            }
            SubsetSums subsets = SubsetSums.of(open);
            long min = Math.addExact(fixed, subsets.min());
            long max = Math.addExact(fixed, subsets.max());
            String context = read.node() + " (side " + side + ") reads " + read.value() + " for \"" + read.key()
                    + "\" during the split; the adds from before it and from its own side allow ";
            if (read.value() < min || read.value() > max || !subsets.contains(read.value() - fixed)) {
                String why = read.value() > max
                        ? "it shows more than its side wrote: the other side's adds (" + hidden
                        + " in all) crossed the partition, or adds were counted twice"
                        : read.value() < min ? "adds acknowledged on its side (or before the split) are missing"
                        : "no subset of the indeterminate adds sums to the difference";
                violations.add(new Violation("split-view", read.key(), read.node(),
                        context + "[" + min + ", " + max + "]: " + why, involved));
            }
            notes.add("\"" + read.key() + "\" on " + read.node() + " (" + side + "): " + read.value() + " expected in ["
                    + min + ", " + max + "], other side's adds kept out: " + hidden);
        }
        return new CheckResult(violations, notes);
    }
}
