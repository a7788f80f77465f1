package dev.tally.chaos.smoke;

import dev.tally.chaos.cluster.ClusterNode;
import dev.tally.chaos.docker.ExecResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Checks, from inside one container, whether the echo servers of others answer: bash's
 * /dev/tcp opens a connection by node name, sends a line and waits for it to come back. One
 * exec per source node probes all its targets.
 */
final class Probe {

    /** What a probe saw. */
    enum Reach {
        /** The line came back. */
        OK,
        /** Connection refused or reset (REJECT with tcp-reset, nothing listening). */
        REFUSED,
        /** The name does not resolve or there is no route (node stopped or off the network). */
        UNREACHABLE,
        /** Connected, but nothing came back (a paused process: the kernel still accepts). */
        NO_REPLY,
        /** Not even connected in time (packets silently dropped). */
        TIMEOUT
    }

    /** One probe's result; {@code millis} is the round trip (connect + echo) as measured inside the container. */
    record Result(String from, String to, Reach reach, long millis, String detail) {
        @Override
        public String toString() {
            return from + "->" + to + " " + reach + " " + millis + "ms" + (detail.isBlank() ? "" : " (" + detail + ")");
        }
    }

    private static final String SCRIPT = """
            port=$1; t=$2; shift 2
            for target in "$@"; do
              s=$(date +%s%N)
              out=$(timeout "$t.5" bash -c 'exec 3<>/dev/tcp/$0/$1 || exit 10; echo ping >&3; read -t $2 line <&3 || exit 11; echo "$line"' "$target" "$port" "$t" 2>&1)
              rc=$?
              e=$(date +%s%N)
              echo "$target $rc $(( (e - s) / 1000000 )) $(echo $out | tr -d '\\n')"
            done
            """;

    private Probe() {}

    /** Probes {@code port} on each target from {@code from}, waiting at most {@code timeoutSeconds} per step. */
    static List<Result> from(ClusterNode from, List<String> targets, int port, int timeoutSeconds) {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", SCRIPT, "probe", Integer.toString(port),
                Integer.toString(timeoutSeconds)));
        cmd.addAll(targets);
        ExecResult r = from.execAsRoot(cmd.toArray(String[]::new)).orThrow("probe from " + from.name());
        List<Result> results = new ArrayList<>();
        for (String line : r.stdout().strip().split("\n")) {
            String[] f = line.split(" ", 4);
            int rc = Integer.parseInt(f[1]);
            String detail = f.length > 3 ? f[3].strip() : "";
            Reach reach = switch (rc) {
                case 0 -> "ping".equals(detail) ? Reach.OK : Reach.NO_REPLY;
                case 11 -> Reach.NO_REPLY;
                case 124 -> Reach.TIMEOUT;
                default -> detail.contains("refused") || detail.contains("reset") ? Reach.REFUSED : Reach.UNREACHABLE;
            };
            results.add(new Result(from.name(), f[0], reach, Long.parseLong(f[2]), reach == Reach.OK ? "" : detail));
        }
        return results;
    }

    /** Every ordered pair, probed in parallel (one exec per source, one thread per exec). */
    static Map<String, Reach> mesh(List<ClusterNode> sources, List<String> targets, int port, int timeoutSeconds) {
        ExecutorService pool = Executors.newFixedThreadPool(sources.size());
        try {
            List<CompletableFuture<List<Result>>> futures = new ArrayList<>();
            for (ClusterNode s : sources) {
                List<String> others = targets.stream().filter(t -> !t.equals(s.name())).toList();
                futures.add(CompletableFuture.supplyAsync(() -> from(s, others, port, timeoutSeconds), pool));
            }
            Map<String, Reach> mesh = new LinkedHashMap<>();
            for (CompletableFuture<List<Result>> f : futures) {
                f.join().forEach(r -> mesh.put(r.from() + "->" + r.to(), r.reach()));
            }
            return mesh;
        } finally {
            pool.shutdownNow();
        }
    }
}
