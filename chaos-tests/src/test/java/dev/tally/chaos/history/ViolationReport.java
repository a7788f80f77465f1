package dev.tally.chaos.history;

import java.util.List;

/** Formats a failed check so it can be replayed: seed first, then the fault schedule, then each violation. */
public final class ViolationReport {

    private ViolationReport() {}

    /**
     * @param seed     the run's seed
     * @param faultLog the fault schedule as it ran, one line per step
     * @param result   what the checkers found
     */
    public static String format(long seed, List<String> faultLog, CheckResult result) {
        StringBuilder sb = new StringBuilder();
        sb.append(result.violations().size()).append(" violation(s). SEED=").append(seed)
                .append(" (replay with -Dtally.chaos.seed=").append(seed).append(")\n");
        sb.append("fault schedule:\n");
        if (faultLog.isEmpty()) {
            sb.append("  (no faults)\n");
        }
        for (String line : faultLog) {
            sb.append("  ").append(line).append('\n');
        }
        int n = 1;
        for (Violation v : result.violations()) {
            sb.append("violation ").append(n++).append(" [").append(v.rule()).append("] ").append(v.message()).append('\n');
            for (String op : v.involved()) {
                sb.append("    ").append(op).append('\n');
            }
        }
        sb.append("checked:\n");
        for (String note : result.notes()) {
            sb.append("  ").append(note).append('\n');
        }
        return sb.toString();
    }

    /** Throws an AssertionError carrying the report when {@code result} has violations. */
    public static void assertValid(long seed, List<String> faultLog, CheckResult result) {
        if (!result.valid()) {
            throw new AssertionError(format(seed, faultLog, result));
        }
    }
}
