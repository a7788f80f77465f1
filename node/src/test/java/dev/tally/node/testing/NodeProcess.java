package dev.tally.node.testing;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node in its own JVM ({@code java -cp <test classpath> dev.tally.node.cli.TallyCommand node ...}),
 * so a test can SIGKILL it. Output goes to a log file, printed when start-up fails.
 */
public final class NodeProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final int port;

  private NodeProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** Starts a node on free loopback ports and waits until its health check says SERVING. */
  public static NodeProcess start(Path dataDir, Path log, String... extraArgs) {
    int port = TestNodes.freePort();
    int peerPort;
    do {
      peerPort = TestNodes.freePeerPort();
    } while (peerPort == port || peerPort + 1 == port);
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:+UseSerialGC",
        // RocksDB unpacks its native library into java.io.tmpdir and removes it only on a clean
        // exit; beside the log (in the test's temp dir) a SIGKILL leaves nothing behind.
        "-Djava.io.tmpdir=" + jvmTmp(log)));
    // Atomix (membership) needs the --add-opens flags the test JVM got from surefire's argLine.
    for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-opens")) {
        cmd.add(arg);
      }
    }
    // Extra JVM flags for the node, e.g. -Dtally.node.jvmArgs=-XX:StartFlightRecording=filename=/tmp/node.jfr
    String jvmArgs = System.getProperty("tally.node.jvmArgs", "").strip();
    if (!jvmArgs.isEmpty()) {
      cmd.addAll(List.of(jvmArgs.split("\\s+")));
    }
    cmd.addAll(List.of(
        "-cp", System.getProperty("java.class.path"),
        "dev.tally.node.cli.TallyCommand", "node",
        "--name", "proc-node",
        "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port),
        "--peer-port", Integer.toString(peerPort)));
    if (!List.of(extraArgs).contains("--metrics-port")) {
      cmd.addAll(List.of("--metrics-port", "0"));
    }
    if (!List.of(extraArgs).contains("--http-port")) {
      cmd.addAll(List.of("--http-port", "0"));
    }
    cmd.addAll(List.of(extraArgs));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    // The child must not inherit settings meant for the test JVM.
    pb.environment().keySet().removeIf(k -> k.startsWith("TALLY_"));
    NodeProcess node;
    try {
      node = new NodeProcess(pb.start(), log, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      node.awaitServing();
    } catch (RuntimeException | AssertionError e) {
      node.kill();
      throw new AssertionError("node process did not start; its log:\n" + node.logText(), e);
    }
    return node;
  }

  private static Path jvmTmp(Path log) {
    Path dir = log.toAbsolutePath().getParent().resolve("jvm-tmp");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  private void awaitServing() {
    ManagedChannel channel = TestNodes.channel(port);
    try {
      HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("node process exited with " + process.exitValue());
        }
        return health.withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
            .getStatus() == ServingStatus.SERVING;
      });
      if (!process.isAlive()) {
        throw new IllegalStateException("node process exited with " + process.exitValue());
      }
    } finally {
      TestNodes.shutdown(channel);
    }
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  /** CPU time the node process has used so far (user + system), or zero when the OS does not say. */
  public Duration cpuTime() {
    return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
  }

  /** SIGKILL (Process.destroyForcibly on Linux), and wait for the process to be gone. */
  public void kill() {
    process.destroyForcibly();
    waitFor();
  }

  /** SIGTERM, then wait (bounded) for a graceful exit; returns the exit code. */
  public int terminate() {
    process.destroy();
    return waitFor();
  }

  private int waitFor() {
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("node process " + process.pid() + " did not exit within 30 s");
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new AssertionError("interrupted", e);
    }
  }

  public String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "(no log)";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }
}
