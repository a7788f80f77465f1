package dev.tally.chaos.faults;

import dev.tally.chaos.cluster.ClusterNode;
import java.util.List;

/** Shell snippets that add and remove iptables rules given as "CHAIN spec" (optionally "-t nat CHAIN spec"). */
final class IptablesScripts {

    private IptablesScripts() {}

    /** Appends every rule, stopping at the first error. {@code -w} waits for the xtables lock. */
    static String add(List<String> rules) {
        StringBuilder sb = new StringBuilder("set -e\n");
        for (String r : rules) {
            sb.append("iptables -w ").append(tableOf(r)).append("-A ").append(chainAndSpec(r)).append('\n');
        }
        return sb.toString();
    }

    /**
     * Deletes every rule that is still there. A node restarted since the injection has a fresh
     * network namespace without them, so a missing rule is not an error.
     */
    static String remove(List<String> rules) {
        StringBuilder sb = new StringBuilder("set -e\n");
        for (String r : rules) {
            String t = tableOf(r);
            String cs = chainAndSpec(r);
            sb.append("if iptables -w ").append(t).append("-C ").append(cs).append(" 2>/dev/null; then iptables -w ")
                    .append(t).append("-D ").append(cs).append("; fi\n");
        }
        return sb.toString();
    }

    static void remove(ClusterNode node, List<String> rules, String what) {
        if (!node.isRunning()) {
            return; // stopped or paused: a restart starts without rules; a paused node is healed by whoever paused it
        }
        node.shAsRoot(what, remove(rules));
    }

    static void removeQuietly(ClusterNode node, List<String> rules) {
        try {
            remove(node, rules, "roll back");
        } catch (RuntimeException e) {
            System.err.println("could not roll back iptables rules on " + node.name() + ": " + e);
        }
    }

    private static String tableOf(String rule) {
        return rule.startsWith("-t ") ? rule.substring(0, rule.indexOf(' ', 3) + 1) : "";
    }

    private static String chainAndSpec(String rule) {
        return rule.startsWith("-t ") ? rule.substring(rule.indexOf(' ', 3) + 1) : rule;
    }
}
