package dev.tally.chaos.history;

import java.util.ArrayList;
import java.util.List;

/**
 * What a checker found.
 *
 * @param violations every broken rule (empty when the history is valid)
 * @param notes      what was checked and how (e.g. whether a subset-sum was exact)
 */
public record CheckResult(List<Violation> violations, List<String> notes) {

    public CheckResult {
        violations = List.copyOf(violations);
        notes = List.copyOf(notes);
    }

    public boolean valid() {
        return violations.isEmpty();
    }

    /** Both results together. */
    public CheckResult and(CheckResult other) {
        List<Violation> v = new ArrayList<>(violations);
        v.addAll(other.violations);
        List<String> n = new ArrayList<>(notes);
        n.addAll(other.notes);
        return new CheckResult(v, n);
    }
}
