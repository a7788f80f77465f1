package dev.tally.chaos.history;

import java.util.List;

/**
 * One broken rule.
 *
 * @param rule     short name of the rule ("final-value", "convergence", "quorum-read", "read-bounds", ...)
 * @param key      the counter concerned
 * @param node     the node whose answer broke it ("" when it concerns the cluster)
 * @param message  what is wrong, with the numbers
 * @param involved the operations that explain it, one line each
 */
public record Violation(String rule, String key, String node, String message, List<String> involved) {
    public Violation {
        involved = List.copyOf(involved);
    }
}
