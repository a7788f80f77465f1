package dev.tally.chaos.faults;

import dev.tally.chaos.cluster.ClusterNode;
import dev.tally.chaos.cluster.TallyCluster;
import dev.tally.chaos.docker.ExecResult;
import dev.tally.chaos.faults.proxy.DelayProxy;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * Latency, jitter and loss on the traffic one node sends to some other nodes (another DC's), the
 * way a slow WAN link behaves. Applied on the sender's side only: give both sides a LinkShaping
 * for a round trip of twice the delay ({@link Faults#interDcLatency} does).
 *
 * <p>With {@code tc netem} in the kernel: a prio qdisc whose fourth band is netem, and u32
 * filters sending the targets' addresses to it (all protocols delayed). Kernels built without
 * netem (the CI machines here: CONFIG_NET_SCH_NETEM is off) get an equivalent: a
 * {@link DelayProxy} in the container, running as uid 65534, with iptables REDIRECTing the
 * node's TCP connections to the targets' {@code ports} through it (connections that were already
 * open are reset so they reconnect through it), and loss as an iptables random DROP. That delays
 * TCP only; UDP is not delayed (but is lost at the same rate).
 *
 * @param node        the sending node
 * @param towards     the nodes whose traffic is shaped
 * @param delay       one-way added latency
 * @param jitter      +- variation of the latency (at most {@code delay})
 * @param lossPercent packets dropped, 0..100
 * @param ports       the targets' TCP ports the proxy fallback redirects
 */
public record LinkShaping(String node, Set<String> towards, Duration delay, Duration jitter, double lossPercent,
                          List<Integer> ports) implements Fault {

    /** uid the proxy runs as; the iptables rules exempt its own connections from the redirect. */
    static final int PROXY_UID = 65534;
    static final String TOOLS_DIR = "/opt/tally-chaos";
    static final String PIDFILE = "/tmp/tally-delay-proxy.pid";
    private static final int FIRST_PROXY_PORT = 20000;

    public LinkShaping {
        towards = Set.copyOf(new TreeSet<>(towards));
        ports = List.copyOf(ports);
        if (towards.isEmpty() || towards.contains(node)) {
            throw new IllegalArgumentException("towards must name other nodes than " + node + ", was " + towards);
        }
        if (delay.isNegative() || jitter.isNegative() || jitter.compareTo(delay) > 0) {
            throw new IllegalArgumentException("need 0 <= jitter <= delay, got delay " + delay + ", jitter " + jitter);
        }
        if (lossPercent < 0 || lossPercent > 100) {
            throw new IllegalArgumentException("lossPercent must be in [0, 100], was " + lossPercent);
        }
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("ports must not be empty");
        }
    }

    @Override
    public String describe() {
        return "shape " + node + " -> " + towards + ": +" + delay.toMillis() + "ms +-" + jitter.toMillis() + "ms, "
                + lossPercent + "% loss";
    }

    @Override
    public Healer inject(TallyCluster cluster) {
        ClusterNode n = cluster.node(node);
        List<String> targets = towards.stream().map(t -> cluster.node(t).ip()).toList();
        String dev = n.shAsRoot("find the interface", "ip -o route get " + targets.get(0)
                + " | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p'").stdout().strip();
        if (netemAvailable(n, dev)) {
            return injectNetem(n, dev, targets);
        }
        return injectProxy(n, targets);
    }

    private static boolean netemAvailable(ClusterNode n, String dev) {
        ExecResult probe = n.execAsRoot("sh", "-c", "tc qdisc add dev " + dev + " root handle 1: prio bands 4"
                + " && tc qdisc add dev " + dev + " parent 1:4 handle 40: netem delay 1ms"
                + "; rc=$?; tc qdisc del dev " + dev + " root 2>/dev/null; exit $rc");
        return probe.succeeded();
    }

    private Healer injectNetem(ClusterNode n, String dev, List<String> targets) {
        StringBuilder sb = new StringBuilder("set -e\n");
        sb.append("tc qdisc add dev ").append(dev).append(" root handle 1: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n");
        sb.append("tc qdisc add dev ").append(dev).append(" parent 1:4 handle 40: netem delay ").append(delay.toMillis())
                .append("ms ").append(jitter.toMillis()).append("ms");
        if (lossPercent > 0) {
            sb.append(" loss ").append(lossPercent).append('%');
        }
        sb.append('\n');
        for (String ip : targets) {
            sb.append("tc filter add dev ").append(dev).append(" protocol ip parent 1: prio 1 u32 match ip dst ")
                    .append(ip).append("/32 flowid 1:4\n");
        }
        n.shAsRoot(describe() + " (netem)", sb.toString());
        return () -> {
            if (n.isRunning()) {
                n.shAsRoot("heal " + describe(), "tc qdisc del dev " + dev + " root 2>/dev/null || true");
            }
        };
    }

    private Healer injectProxy(ClusterNode n, List<String> targets) {
        if (n.execAsRoot("test", "-e", PIDFILE).succeeded()) {
            throw new IllegalStateException(n.name() + " already has a delay proxy (" + PIDFILE + "): heal that first");
        }
        copyProxyClasses(n);
        List<String> command = new ArrayList<>(List.of("java", "-Xmx32m", "-Xss256k", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", TOOLS_DIR, DelayProxy.class.getName(),
                "--delay-ms", Long.toString(delay.toMillis()), "--jitter-ms", Long.toString(jitter.toMillis()),
                "--seed", Long.toString(node.hashCode()), "--pidfile", PIDFILE));
        List<String> rules = new ArrayList<>();
        int localPort = FIRST_PROXY_PORT;
        for (String ip : targets) {
            for (int port : ports) {
                command.add(localPort + "=" + ip + ":" + port);
                String match = "-d " + ip + " -p tcp --dport " + port + " -m owner ! --uid-owner " + PROXY_UID;
                rules.add("-t nat OUTPUT " + match + " -j REDIRECT --to-ports " + localPort);
                // Connections opened before the redirect keep their old route: reset them so they reconnect through the proxy.
                rules.add("OUTPUT " + match + " -m conntrack --ctdir ORIGINAL -j REJECT --reject-with tcp-reset");
                localPort++;
            }
            if (lossPercent > 0) {
                rules.add("OUTPUT -d " + ip + " -m statistic --mode random --probability "
                        + String.format("%.4f", lossPercent / 100) + " -j DROP");
            }
        }
        n.execDetached(Integer.toString(PROXY_UID), command.toArray(String[]::new));
        try {
            Awaitility.await("delay proxy on " + n.name()).atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> n.execAsRoot("test", "-s", PIDFILE).succeeded());
            n.shAsRoot(describe() + " (proxy rules)", IptablesScripts.add(rules));
        } catch (RuntimeException e) {
            stopProxy(n);
            throw e;
        }
        return () -> {
            if (!n.isRunning()) {
                return;
            }
            IptablesScripts.remove(n, rules, "heal " + describe());
            stopProxy(n);
        };
    }

    private static void stopProxy(ClusterNode n) {
        // Check the pid really is the proxy: after a restart a stale pid file could name another process.
        n.shAsRoot("stop the delay proxy", "if [ -s " + PIDFILE + " ]; then pid=$(cat " + PIDFILE + ");"
                + " if grep -q DelayProxy /proc/$pid/cmdline 2>/dev/null; then kill $pid; fi; fi; rm -f " + PIDFILE);
    }

    /** Copies the proxy's class files (compiled with the tests) into the container. */
    private static void copyProxyClasses(ClusterNode n) {
        String pkg = DelayProxy.class.getPackageName().replace('.', '/');
        try {
            Path dir = Path.of(DelayProxy.class.getResource("DelayProxy.class").toURI()).getParent();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    try (InputStream in = Files.newInputStream(f)) {
                        n.copyIn(TOOLS_DIR + "/" + pkg + "/" + f.getFileName(), in.readAllBytes(), 0644);
                    }
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot copy the delay proxy into " + n.name()
                    + " (the test classes must be a directory, as under surefire)", e);
        }
    }
}
