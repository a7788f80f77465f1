package dev.tally.chaos.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Jepsen's counter rule, checked on every acknowledged read during the run.
 *
 * <ul>
 *   <li>{@code quorum-read}: a QUORUM read's value lies between the sum of the adds that had
 *       to be visible (acknowledged before the read was invoked, and visible under the given
 *       {@link Visibility}) plus every decrement that might have been, and that same sum plus
 *       every increment that might have been. "Might have been" means invoked before the read
 *       completed and not definitely failed.</li>
 *   <li>{@code read-bounds}: any read (LOCAL too) lies between the sum of the decrements and the
 *       sum of the increments invoked before it completed: no replica may show a count that was
 *       never sent. This catches doubled counts while the run goes on.</li>
 * </ul>
 *
 * <p>Real-time order is the history's recording order (event indices), so equal timestamps
 * cannot blur it. Keys start at 0.
 */
public final class QuorumReadChecker {

    private static final int MAX_LISTED = 20;

    /** Which acknowledged adds a QUORUM read must see. */
    @FunctionalInterface
    public interface Visibility {
        boolean mustBeVisible(LogicalAdd add, Attempted read);

        /** Every acknowledged add (the strict Jepsen rule). */
        static Visibility allAcknowledged() {
            return (add, read) -> true;
        }

        /**
         * Adds acknowledged by a QUORUM write on a node of the read's data center: what DESIGN.md
         * promises (quorum reads and writes give read-your-writes inside a DC).
         */
        static Visibility quorumWritesInSameDc(Function<String, String> dcOfNode) {
            Objects.requireNonNull(dcOfNode, "dcOfNode");
            return (add, read) -> add.acknowledged()
                    .filter(a -> a.invoke().consistency() == ReadConsistency.QUORUM)
                    .map(a -> Objects.equals(dcOfNode.apply(a.node()), dcOfNode.apply(read.node())))
                    .orElse(false);
        }

        /** Same as {@link #quorumWritesInSameDc(Function)} from a node-to-DC map. */
        static Visibility quorumWritesInSameDc(Map<String, String> dcOfNode) {
            return quorumWritesInSameDc(dcOfNode::get);
        }
    }

    private final Visibility visibility;

    public QuorumReadChecker(Visibility visibility) {
        this.visibility = Objects.requireNonNull(visibility, "visibility");
    }

    public CheckResult check(Operations ops) {
        List<Violation> violations = new ArrayList<>();
        int quorumReads = 0;
        int otherReads = 0;
        for (String key : ops.keys()) {
            List<LogicalAdd> adds = ops.adds(key);
            for (Attempted read : ops.reads()) {
                if (!read.key().equals(key) || read.outcome() != EventType.OK) {
                    continue;
                }
                boolean quorum = read.invoke().consistency() == ReadConsistency.QUORUM;
                if (quorum) {
                    quorumReads++;
                } else {
                    otherReads++;
                }
                checkRead(read, quorum, adds, violations);
            }
        }
        return new CheckResult(violations, List.of("checked " + quorumReads + " QUORUM reads against real-time bounds and "
                + otherReads + " other reads against what was invoked"));
    }

    private void checkRead(Attempted read, boolean quorum, List<LogicalAdd> adds, List<Violation> violations) {
        long must = 0;
        long mayUp = 0;
        long mayDown = 0;
        long weakUp = 0;
        long weakDown = 0;
        List<LogicalAdd> mustAdds = new ArrayList<>();
        List<LogicalAdd> concurrent = new ArrayList<>();
        for (LogicalAdd add : adds) {
            EventType status = add.status();
            if (status == EventType.FAIL || add.firstInvokeIndex() > read.completeIndex()) {
                continue;
            }
            if (add.delta() > 0) {
                weakUp = Math.addExact(weakUp, add.delta());
            } else {
                weakDown = Math.addExact(weakDown, add.delta());
            }
            if (quorum && status == EventType.OK && add.ackIndex() < read.invokeIndex()
                    && visibility.mustBeVisible(add, read)) {
                must = Math.addExact(must, add.delta());
                mustAdds.add(add);
            } else {
                if (add.delta() > 0) {
                    mayUp = Math.addExact(mayUp, add.delta());
                } else {
                    mayDown = Math.addExact(mayDown, add.delta());
                }
                concurrent.add(add);
            }
        }
        long value = read.value();
        if (value < weakDown || value > weakUp) {
            violations.add(new Violation("read-bounds", read.key(), read.node(), read.node() + " read " + value
                    + " for \"" + read.key() + "\" but the adds invoked before that read completed allow only ["
                    + weakDown + ", " + weakUp + "]: " + (value > weakUp ? "a count that was never sent (doubled?)"
                    : "decrements that were never sent"), involved(read, mustAdds, concurrent)));
            return;
        }
        if (!quorum) {
            return;
        }
        long lower = Math.addExact(must, mayDown);
        long upper = Math.addExact(must, mayUp);
        if (value < lower || value > upper) {
            violations.add(new Violation("quorum-read", read.key(), read.node(), "QUORUM read on " + read.node()
                    + " returned " + value + " for \"" + read.key() + "\", outside [" + lower + ", " + upper + "]: "
                    + mustAdds.size() + " adds acknowledged before the read began sum to " + must + ", "
                    + concurrent.size() + " concurrent or indeterminate adds could move it by " + mayDown + "/+" + mayUp
                    + (value < lower ? "; acknowledged writes are missing from the read" : "; the read shows more than was written"),
                    involved(read, mustAdds, concurrent)));
        }
    }

    private static List<String> involved(Attempted read, List<LogicalAdd> mustAdds, List<LogicalAdd> concurrent) {
        List<String> lines = new ArrayList<>();
        lines.add("read: " + read.describe());
        int skipped = Math.max(0, mustAdds.size() - MAX_LISTED / 2);
        if (skipped > 0) {
            lines.add("(" + skipped + " earlier acknowledged adds not listed)");
        }
        for (LogicalAdd a : mustAdds.subList(skipped, mustAdds.size())) {
            lines.add("acknowledged before the read: " + a.describe());
        }
        for (int i = 0; i < concurrent.size(); i++) {
            if (i == MAX_LISTED) {
                lines.add("(" + (concurrent.size() - i) + " more concurrent adds not listed)");
                break;
            }
            lines.add("concurrent: " + concurrent.get(i).describe());
        }
        return lines;
    }
}
