package dev.tally.chaos.docker;

import java.util.Map;

/**
 * Labels on every container, volume and network the chaos harness creates. Without ryuk, a
 * killed test JVM leaves them behind; the owner labels let the next run (or a person) find and
 * remove exactly those:
 * {@code docker rm -f -v $(docker ps -aq --filter label=dev.tally.chaos=true)}.
 */
public final class Labels {

    public static final String CHAOS = "dev.tally.chaos";
    public static final String RUN = "dev.tally.chaos.run";
    public static final String NODE = "dev.tally.chaos.node";
    public static final String OWNER_PID = "dev.tally.chaos.owner-pid";
    public static final String OWNER_STARTED = "dev.tally.chaos.owner-started";

    private Labels() {}

    /** Labels for a resource of run {@code runId}, owned by this JVM. */
    public static Map<String, String> forRun(String runId) {
        ProcessHandle self = ProcessHandle.current();
        return Map.of(
                CHAOS, "true",
                RUN, runId,
                OWNER_PID, Long.toString(self.pid()),
                OWNER_STARTED, ownerStarted(self));
    }

    static String ownerStarted(ProcessHandle p) {
        return p.info().startInstant().map(i -> Long.toString(i.toEpochMilli())).orElse("unknown");
    }

    /** Whether the JVM that created a resource with these labels is still running. */
    public static boolean ownerAlive(Map<String, String> labels) {
        String pid = labels.get(OWNER_PID);
        if (pid == null) {
            return false;
        }
        try {
            return ProcessHandle.of(Long.parseLong(pid))
                    .map(p -> p.isAlive() && ownerStarted(p).equals(labels.get(OWNER_STARTED)))
                    .orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
