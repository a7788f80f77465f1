package dev.tally.chaos.cluster;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import dev.tally.chaos.docker.DockerOps;
import dev.tally.chaos.docker.ExecResult;
import dev.tally.chaos.docker.Labels;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;

/**
 * One node of a {@link TallyCluster}: a container with NET_ADMIN on the cluster network under its
 * name, and its data directory on a Docker volume of its own (kill+start keeps it; {@link
 * #wipeData()} empties it). Every address is looked up from Docker on each call, because Docker
 * hands out new host ports (and may hand out a new IP) after a restart or reconnect.
 *
 * <p>Thread-safe: no mutable state; every call goes to Docker.
 */
public final class ClusterNode {

    private final NodeSpec spec;
    private final GenericContainer<?> container;
    private final String volume;
    private final TallyCluster cluster;
    private final DockerOps ops;

    ClusterNode(NodeSpec spec, GenericContainer<?> container, String volume, TallyCluster cluster, DockerOps ops) {
        this.spec = spec;
        this.container = container;
        this.volume = volume;
        this.cluster = cluster;
        this.ops = ops;
    }

    public String name() {
        return spec.name();
    }

    public String dc() {
        return spec.dc();
    }

    public String containerId() {
        return container.getContainerId();
    }

    /** The Docker volume that holds the data directory. */
    public String volume() {
        return volume;
    }

    /** The node's address on the cluster network. */
    public String ip() {
        return ipIfConnected().orElseThrow(() -> new IllegalStateException(name()
                + " is not attached to the cluster network (disconnected?)"));
    }

    public Optional<String> ipIfConnected() {
        return ops.ip(containerId(), cluster.networkName());
    }

    /** Where the host reaches {@code containerPort} now (empty while stopped or disconnected). */
    public Optional<InetSocketAddress> hostAddress(int containerPort) {
        return ops.hostPort(containerId(), containerPort)
                .map(p -> new InetSocketAddress(DockerClientFactory.instance().dockerHostIpAddress(), p));
    }

    /** Runs a command as root (which has the container's NET_ADMIN) and returns its result. */
    public ExecResult execAsRoot(String... command) {
        return ops.exec(containerId(), "root", command);
    }

    /** Runs a shell script as root and throws, naming {@code what}, if it fails. */
    public ExecResult shAsRoot(String what, String script) {
        return ops.exec(containerId(), "root", "sh", "-c", script).orThrow(what + " on " + name());
    }

    /** Starts a command in the background as {@code user}. */
    public void execDetached(String user, String... command) {
        ops.execDetached(containerId(), user, command);
    }

    /** Copies a file into the running container. */
    public void copyIn(String containerPath, byte[] content, int mode) {
        container.copyFileToContainer(Transferable.of(content, mode), containerPath);
    }

    /** SIGKILL. */
    public void kill() {
        ops.kill(containerId());
    }

    /** Starts the stopped container again and waits until it is ready. */
    public void start() {
        ops.start(containerId());
        cluster.awaitReady(this);
    }

    public void pause() {
        ops.pause(containerId());
    }

    public void unpause() {
        ops.unpause(containerId());
    }

    /** Cuts the node off the cluster network (and from the host: its published ports go away). */
    public void disconnect() {
        ops.disconnect(containerId(), cluster.networkId());
    }

    /** Reattaches it under its name. */
    public void reconnect() {
        ops.connect(containerId(), cluster.networkId(), List.of(name()));
    }

    /** "running", "paused", "exited(137)", ... */
    public String state() {
        return ops.state(containerId());
    }

    public boolean isRunning() {
        return ops.isRunning(containerId());
    }

    public String logsTail(int lines) {
        return ops.logsTail(containerId(), lines);
    }

    /**
     * Deletes everything in the data directory, as a replaced disk would. The node must be
     * stopped (kill it first): a throwaway container with the same volume does the deleting.
     */
    public void wipeData() {
        if (Boolean.TRUE.equals(ops.inspect(containerId()).getState().getRunning())) {
            throw new IllegalStateException("wipe " + name() + ": stop it first (it is " + state() + ")");
        }
        var docker = ops.client();
        Map<String, String> labels = Labels.forRun(cluster.runId());
        String dataDir = cluster.spec().dataDir();
        String id = docker.createContainerCmd(cluster.spec().image())
                .withName("tally-chaos-" + cluster.runId() + "-" + name() + "-wipe-" + System.nanoTime())
                .withLabels(labels)
                .withUser("root")
                .withEntrypoint("sh", "-c", "find " + dataDir + " -mindepth 1 -delete")
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none")
                        .withBinds(new Bind(volume, new Volume(dataDir))))
                .exec().getId();
        try {
            docker.startContainerCmd(id).exec();
            Integer exit = docker.waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
            if (exit == null || exit != 0) {
                throw new IllegalStateException("wiping " + dataDir + " of " + name() + " failed (exit " + exit + "): "
                        + ops.logsTail(id, 20));
            }
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }

    /** Name, DC, container state, address, published ports, and (when running) its packet rules. */
    public String describe(List<Integer> hostPorts) {
        StringBuilder sb = new StringBuilder();
        String state;
        try {
            state = state();
        } catch (RuntimeException e) {
            return "node " + name() + " (" + dc() + "): cannot inspect: " + e;
        }
        sb.append("node ").append(name()).append(" (").append(dc()).append(") container ").append(containerId(), 0, 12)
                .append(" [").append(state).append("] ip ").append(ipIfConnected().orElse("(not connected)"));
        for (int port : hostPorts) {
            sb.append(' ').append(port).append("->").append(hostAddress(port).map(Object::toString).orElse("-"));
        }
        sb.append('\n');
        if ("running".equals(state)) {
            ExecResult rules = ops.exec(containerId(), "root", Duration.ofSeconds(10), "sh", "-c",
                    "iptables -S 2>&1 | grep -v '^-P'; iptables -t nat -S 2>&1 | grep -v '^-P';"
                            + " tc qdisc show 2>&1 | grep -v 'noqueue'; true");
            if (!rules.stdout().isBlank()) {
                sb.append("  fault rules:\n");
                rules.stdout().lines().forEach(l -> sb.append("    ").append(l).append('\n'));
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return name() + "(" + dc() + ")";
    }
}
