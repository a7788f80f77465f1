package dev.tally.chaos.cluster;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Volume;
import dev.tally.chaos.docker.DockerOps;
import dev.tally.chaos.docker.Labels;
import dev.tally.chaos.docker.Leftovers;
import dev.tally.testcontainers.TallyContainer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * N containers on one Docker network, each reachable by its node name, each with NET_ADMIN (for
 * the faults' iptables and tc), TALLY_* configuration and a data volume of its own. Nodes of the
 * Tally image are {@link TallyContainer}s (the tally-testcontainers module users test with); the
 * suite adds what only fault injection needs: NET_ADMIN, a named volume, labels for cleanup.
 * {@link #close()} always removes them; everything is labelled (see {@link Labels}) so what a
 * killed JVM left behind is removed by the next run. {@link #run} prints every node's state and
 * log tail when the body fails.
 *
 * <p>Threads: created and closed by the test thread; nodes, lookups and {@link #diagnostics()}
 * may be used from any thread (load and fault threads). The only mutable state is the
 * copy-on-write list of extra diagnostics.
 */
public final class TallyCluster implements AutoCloseable {

    /** The body of a test run against a cluster. */
    @FunctionalInterface
    public interface Body {
        void accept(TallyCluster cluster) throws Exception;
    }

    private static final int LOG_TAIL_LINES = 60;

    private final ClusterSpec spec;
    private final String runId;
    private final DockerOps ops;
    private final Network network;
    private final Map<String, ClusterNode> nodes = new LinkedHashMap<>();
    private final List<String> volumes = new ArrayList<>();
    private final List<Map.Entry<String, Supplier<String>>> extraDiagnostics = new CopyOnWriteArrayList<>();

    private TallyCluster(ClusterSpec spec) {
        this.spec = spec;
        this.runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
        this.ops = DockerOps.shared();
        Map<String, String> labels = Labels.forRun(runId);
        this.network = Network.builder()
                .createNetworkCmdModifier(cmd -> cmd.withName("tally-chaos-" + runId).withLabels(labels))
                .build();
    }

    /** Starts every node and waits until all are ready; on failure prints diagnostics and cleans up. */
    public static TallyCluster start(ClusterSpec spec) {
        int reaped = Leftovers.reapDead(DockerOps.shared().client());
        if (reaped > 0) {
            System.out.println("removed " + reaped + " containers/volumes/networks left by dead chaos runs");
        }
        TallyCluster cluster = new TallyCluster(spec);
        try {
            cluster.startAll();
            return cluster;
        } catch (RuntimeException | Error e) {
            System.out.println("cluster " + cluster.runId + " failed to start: " + e + "\n" + cluster.diagnostics());
            cluster.close();
            throw e;
        }
    }

    /** Starts a cluster, runs {@code body}, prints diagnostics if it throws, and always cleans up. */
    public static void run(ClusterSpec spec, Body body) throws Exception {
        try (TallyCluster cluster = start(spec)) {
            try {
                body.accept(cluster);
            } catch (Exception | Error e) {
                System.out.println("cluster " + cluster.runId + " state after failure (" + e + "):\n"
                        + cluster.diagnostics());
                throw e;
            }
        }
    }

    private void startAll() {
        long t0 = System.nanoTime();
        Map<String, String> labels = Labels.forRun(runId);
        String seeds = String.join(",", spec.nodeNames().stream().map(n -> n + ":" + spec.seedPort()).toList());
        List<GenericContainer<?>> containers = new ArrayList<>();
        for (NodeSpec n : spec.nodes()) {
            String volume = "tally-chaos-" + runId + "-" + n.name();
            Map<String, String> volumeLabels = new LinkedHashMap<>(labels);
            volumeLabels.put(Labels.NODE, n.name());
            ops.client().createVolumeCmd().withName(volume).withLabels(volumeLabels).exec();
            volumes.add(volume);

            Map<String, String> nodeLabels = new LinkedHashMap<>(labels);
            nodeLabels.put(Labels.NODE, n.name());
            GenericContainer<?> c = spec.tallyImage() ? tallyContainer(n, seeds) : plainContainer(n, seeds);
            c.withNetwork(network)
                    .withNetworkAliases(n.name())
                    .withLabels(nodeLabels)
                    .withStartupTimeout(spec.startTimeout())
                    .withCreateContainerCmdModifier(cmd -> {
                        cmd.withName("tally-chaos-" + runId + "-" + n.name()).withHostName(n.name());
                        cmd.getHostConfig()
                                .withCapAdd(Capability.NET_ADMIN)
                                .withBinds(new Bind(volume, new Volume(spec.dataDir())));
                    });
            for (int port : spec.hostPorts()) {
                if (!c.getExposedPorts().contains(port)) {
                    c.addExposedPort(port);
                }
            }
            if (spec.command() != null) {
                c.withCommand(spec.command().toArray(String[]::new));
            }
            spec.files().forEach((path, content) -> c.withCopyToContainer(Transferable.of(content, 0644), path));
            containers.add(c);
            nodes.put(n.name(), new ClusterNode(n, c, volume, this, ops));
        }
        try {
            Startables.deepStart(containers).get(spec.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("starting " + containers.size() + " containers of " + spec.image()
                    + " failed: " + e, e);
        }
        for (ClusterNode node : nodes.values()) {
            awaitReady(node);
        }
        System.out.printf("cluster %s: %d nodes of %s ready in %.1f s (network %s)%n", runId, nodes.size(),
                spec.image(), (System.nanoTime() - t0) / 1e9, networkName());
    }

    /**
     * A node of the Tally image: TallyContainer sets name, DC, hostname, bind and advertise
     * addresses, and its start waits for /health (as {@link #awaitReady} does after restarts).
     */
    private GenericContainer<?> tallyContainer(NodeSpec n, String seeds) {
        TallyContainer c = new TallyContainer(spec.image())
                .withName(n.name())
                .withDc(n.dc())
                .withSetting("seeds", seeds)
                .withSetting("cluster-id", "chaos-" + runId)
                .withSetting("data-dir", spec.dataDir());
        // TALLY_TLS_* (ClusterTls) and JAVA_TOOL_OPTIONS are environment, not TallyContainer settings.
        spec.env().forEach((k, v) -> c.withEnv(k, v.replace("{name}", n.name())));
        return c;
    }

    /** Any other image (the smoke tests' runtime image): the TALLY_* variables a node would get, no wait. */
    private GenericContainer<?> plainContainer(NodeSpec n, String seeds) {
        return new GenericContainer<>(DockerImageName.parse(spec.image()))
                .withEnv(nodeEnv(n, seeds))
                // Readiness is checked by awaitReady, also after restarts; nothing to wait for here.
                .waitingFor(new AbstractWaitStrategy() {
                    @Override
                    protected void waitUntilReady() {}
                });
    }

    private Map<String, String> nodeEnv(NodeSpec n, String seeds) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TALLY_NAME", n.name());
        env.put("TALLY_DC", n.dc());
        // Bind every interface and advertise the name: a node bound to its address at start could
        // not serve on the new one Docker may hand out after a network reconnect.
        env.put("TALLY_HOST", "0.0.0.0");
        env.put("TALLY_ADVERTISE_HOST", n.name());
        env.put("TALLY_SEEDS", seeds);
        env.put("TALLY_CLUSTER_ID", "chaos-" + runId);
        env.put("TALLY_DATA_DIR", spec.dataDir());
        spec.env().forEach((k, v) -> env.put(k, v.replace("{name}", n.name())));
        return env;
    }

    /** Waits until {@code node} passes the spec's readiness check. */
    public void awaitReady(ClusterNode node) {
        try {
            Awaitility.await(node.name() + " ready")
                    .atMost(spec.startTimeout())
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> node.isRunning() && spec.readiness().isReady(node));
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(node.name() + " not ready within " + spec.startTimeout() + " ("
                    + node.state() + "); last log lines:\n" + node.logsTail(30), e);
        }
    }

    public String runId() {
        return runId;
    }

    public ClusterSpec spec() {
        return spec;
    }

    public String networkId() {
        return network.getId();
    }

    public String networkName() {
        return "tally-chaos-" + runId;
    }

    public List<ClusterNode> nodes() {
        return List.copyOf(nodes.values());
    }

    public ClusterNode node(String name) {
        ClusterNode n = nodes.get(name);
        if (n == null) {
            throw new NoSuchElementException("no node " + name + " in cluster " + runId + " (nodes: " + nodes.keySet() + ")");
        }
        return n;
    }

    public List<ClusterNode> nodesIn(String dc) {
        return nodes.values().stream().filter(n -> n.dc().equals(dc)).toList();
    }

    public SortedSet<String> dcs() {
        SortedSet<String> dcs = new TreeSet<>();
        nodes.values().forEach(n -> dcs.add(n.dc()));
        return Collections.unmodifiableSortedSet(dcs);
    }

    /** Node name to DC. */
    public Map<String, String> topology() {
        Map<String, String> t = new LinkedHashMap<>();
        nodes.values().forEach(n -> t.put(n.name(), n.dc()));
        return t;
    }

    /** Adds a section to {@link #diagnostics()} (e.g. the fault log, or each node's counter values). */
    public void addDiagnostics(String title, Supplier<String> section) {
        extraDiagnostics.add(Map.entry(title, section));
    }

    /** Every node's state, addresses, fault rules and log tail, then the extra sections. */
    public String diagnostics() {
        StringBuilder sb = new StringBuilder("==== cluster " + runId + " (" + spec.image() + ", network "
                + networkName() + ")\n");
        for (ClusterNode n : nodes.values()) {
            sb.append("---- ").append(n.describe(spec.hostPorts()));
            try {
                if (n.containerId() != null) {
                    sb.append("  last ").append(LOG_TAIL_LINES).append(" log lines:\n");
                    n.logsTail(LOG_TAIL_LINES).lines().forEach(l -> sb.append("    | ").append(l).append('\n'));
                }
            } catch (RuntimeException e) {
                sb.append("  (no logs: ").append(e).append(")\n");
            }
        }
        for (Map.Entry<String, Supplier<String>> extra : extraDiagnostics) {
            sb.append("---- ").append(extra.getKey()).append('\n');
            try {
                sb.append(extra.getValue().get()).append('\n');
            } catch (RuntimeException e) {
                sb.append("(failed: ").append(e).append(")\n");
            }
        }
        return sb.toString();
    }

    /** Removes every container, volume and the network; a paused node is unpaused first so it can be removed. */
    @Override
    public void close() {
        List<String> problems = new ArrayList<>();
        for (ClusterNode n : nodes.values()) {
            try {
                if (n.containerId() != null && "paused".equals(n.state())) {
                    n.unpause();
                }
            } catch (RuntimeException e) {
                problems.add("unpause " + n.name() + ": " + e);
            }
        }
        for (ClusterNode n : nodes.values()) {
            try {
                if (n.containerId() != null) {
                    ops.client().removeContainerCmd(n.containerId()).withForce(true).withRemoveVolumes(true).exec();
                }
            } catch (RuntimeException e) {
                problems.add("remove " + n.name() + ": " + e);
            }
        }
        for (String v : volumes) {
            try {
                ops.client().removeVolumeCmd(v).exec();
            } catch (RuntimeException e) {
                problems.add("remove volume " + v + ": " + e);
            }
        }
        try {
            network.close();
        } catch (RuntimeException e) {
            problems.add("remove network: " + e);
        }
        if (!problems.isEmpty()) {
            System.err.println("cluster " + runId + " cleanup problems (label " + Labels.RUN + "=" + runId + "): "
                    + problems);
        }
    }
}
