package dev.tally.chaos.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Ports;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;

/**
 * The Docker calls the harness makes on containers it already created, each bounded by a
 * timeout. Stateless: safe from any thread (the Docker client is).
 */
public final class DockerOps {

    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(30);

    private final DockerClient docker;

    public DockerOps(DockerClient docker) {
        this.docker = docker;
    }

    /** Ops on Testcontainers' shared client. */
    public static DockerOps shared() {
        return new DockerOps(DockerClientFactory.instance().client());
    }

    public DockerClient client() {
        return docker;
    }

    /** Runs {@code command} in a running container as {@code user} and waits for its exit code. */
    public ExecResult exec(String containerId, String user, String... command) {
        return exec(containerId, user, EXEC_TIMEOUT, command);
    }

    public ExecResult exec(String containerId, String user, Duration timeout, String... command) {
        String execId = docker.execCreateCmd(containerId).withUser(user).withCmd(command)
                .withAttachStdout(true).withAttachStderr(true).exec().getId();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ResultCallback.Adapter<Frame> callback = docker.execStartCmd(execId).exec(new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                (switch (frame.getStreamType()) {
                    case STDERR -> err;
                    default -> out;
                }).writeBytes(frame.getPayload());
            }
        })) {
            if (!callback.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("command " + String.join(" ", command) + " in " + containerId
                        + " did not finish within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("closing the exec stream of " + String.join(" ", command), e);
        }
        Long exit = docker.inspectExecCmd(execId).exec().getExitCodeLong();
        if (exit == null) {
            throw new IllegalStateException("no exit code for " + String.join(" ", command) + " in " + containerId);
        }
        return new ExecResult(exit.intValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Starts {@code command} as {@code user} in the background inside the container; does not wait. */
    public void execDetached(String containerId, String user, String... command) {
        String execId = docker.execCreateCmd(containerId).withUser(user).withCmd(command).exec().getId();
        docker.execStartCmd(execId).withDetach(true).exec(new ResultCallback.Adapter<>());
    }

    /** SIGKILL, as a crash or the OOM killer would: no shutdown hook runs. */
    public void kill(String containerId) {
        docker.killContainerCmd(containerId).withSignal("KILL").exec();
    }

    public void start(String containerId) {
        docker.startContainerCmd(containerId).exec();
    }

    /** Freezes every process of the container (cgroup freezer): it keeps its sockets but never answers. */
    public void pause(String containerId) {
        docker.pauseContainerCmd(containerId).exec();
    }

    public void unpause(String containerId) {
        docker.unpauseContainerCmd(containerId).exec();
    }

    public InspectContainerResponse inspect(String containerId) {
        return docker.inspectContainerCmd(containerId).exec();
    }

    /** "running", "paused", "exited(137)", ... */
    public String state(String containerId) {
        InspectContainerResponse.ContainerState s = inspect(containerId).getState();
        String status = s.getStatus() == null ? "unknown" : s.getStatus();
        if ("exited".equals(status) || "dead".equals(status)) {
            status += "(" + s.getExitCodeLong() + (Boolean.TRUE.equals(s.getOOMKilled()) ? ", OOM killed" : "") + ")";
        }
        return status;
    }

    public boolean isRunning(String containerId) {
        InspectContainerResponse.ContainerState s = inspect(containerId).getState();
        return Boolean.TRUE.equals(s.getRunning()) && !Boolean.TRUE.equals(s.getPaused());
    }

    /** The container's address on {@code networkName}, if it is attached. */
    public Optional<String> ip(String containerId, String networkName) {
        var networks = inspect(containerId).getNetworkSettings().getNetworks();
        ContainerNetwork n = networks == null ? null : networks.get(networkName);
        return n == null || n.getIpAddress() == null || n.getIpAddress().isEmpty()
                ? Optional.empty() : Optional.of(n.getIpAddress());
    }

    /** The host port currently published for {@code containerPort}/tcp. Changes after every restart or reconnect. */
    public Optional<Integer> hostPort(String containerId, int containerPort) {
        Ports ports = inspect(containerId).getNetworkSettings().getPorts();
        if (ports == null) {
            return Optional.empty();
        }
        Ports.Binding[] bindings = ports.getBindings().get(ExposedPort.tcp(containerPort));
        if (bindings == null) {
            return Optional.empty();
        }
        for (Ports.Binding b : bindings) {
            if (b.getHostPortSpec() != null && !b.getHostPortSpec().isEmpty()) {
                return Optional.of(Integer.parseInt(b.getHostPortSpec()));
            }
        }
        return Optional.empty();
    }

    public void disconnect(String containerId, String networkId) {
        docker.disconnectFromNetworkCmd().withNetworkId(networkId).withContainerId(containerId).withForce(true).exec();
    }

    /** Reattaches the container under its aliases (Docker forgets them on disconnect). */
    public void connect(String containerId, String networkId, List<String> aliases) {
        docker.connectToNetworkCmd().withNetworkId(networkId).withContainerId(containerId)
                .withContainerNetwork(new ContainerNetwork().withAliases(new ArrayList<>(aliases))).exec();
    }

    /** The last {@code lines} lines of the container's stdout and stderr. */
    public String logsTail(String containerId, int lines) {
        StringBuilder sb = new StringBuilder();
        try (ResultCallback.Adapter<Frame> callback = docker.logContainerCmd(containerId).withStdOut(true).withStdErr(true)
                .withTail(lines).exec(new ResultCallback.Adapter<>() {
                    @Override
                    public void onNext(Frame frame) {
                        synchronized (sb) {
                            sb.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                        }
                    }
                })) {
            callback.awaitCompletion(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.io.IOException | RuntimeException e) {
            return "(logs unavailable: " + e + ")";
        }
        synchronized (sb) {
            return sb.toString();
        }
    }
}
