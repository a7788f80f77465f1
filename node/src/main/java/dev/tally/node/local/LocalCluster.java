package dev.tally.node.local;

import dev.tally.api.v1.ClusterServiceGrpc;
import dev.tally.api.v1.ClusterStatusRequest;
import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.MemberStatus;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import dev.tally.node.tls.DevCertificates;
import java.util.stream.Stream;

/**
 * The node processes of a local cluster: child JVMs of the same java, classpath and JVM flags as
 * this one, one per {@link LocalLayout.Node}, each logging to its {@code node.log}. A child that
 * exits on its own is reported; the others carry on.
 *
 * <p>Threads: {@link #launch} and {@link #awaitReady} run on the command's thread; {@link #stop}
 * on it or on a shutdown hook, possibly while {@link #launch} still runs, so {@code processes} is
 * a synchronized map read through copies, and {@code stopping} is volatile (the exit callbacks of
 * the processes read it too, on other threads).
 */
public final class LocalCluster {
  /** Written into the cluster's directory so a later run knows what it holds. */
  static final String MARKER = "tally-up.properties";

  private final LocalLayout layout;
  private final Consumer<String> report;
  private final List<String> nodeArgs;
  /** The certificates of {@code tally up --tls} (under the cluster's directory), or null for plaintext. */
  private final DevCertificates.Spec tls;
  /** Written by {@link #launch}, read by {@link #stop} (possibly from a shutdown hook meanwhile): synchronized. */
  private final Map<String, Process> processes = Collections.synchronizedMap(new LinkedHashMap<>());
  private volatile boolean stopping;

  /** @param report where a child's unexpected exit is told (stderr) */
  public LocalCluster(LocalLayout layout, Consumer<String> report) {
    this(layout, report, List.of());
  }

  /** @param nodeArgs more {@code tally node} flags for every node, e.g. {@code --durability async} */
  public LocalCluster(LocalLayout layout, Consumer<String> report, List<String> nodeArgs) {
    this(layout, report, nodeArgs, false);
  }

  /**
   * @param tls true to run every node with tls-cert, tls-key and tls-ca from certificates made once
   *     under {@code DIR/certs} ({@link #prepareTls})
   */
  public LocalCluster(LocalLayout layout, Consumer<String> report, List<String> nodeArgs, boolean tls) {
    this.layout = Objects.requireNonNull(layout, "layout");
    this.report = Objects.requireNonNull(report, "report");
    this.nodeArgs = List.copyOf(nodeArgs);
    this.tls = tls ? new DevCertificates.Spec(layout.dir().resolve(CERTS_DIR), List.of("127.0.0.1", "localhost"),
        layout.all().stream().map(LocalLayout.Node::name).toList(), "client", Duration.ofDays(365), false) : null;
  }

  /** Under the cluster's directory: the certificates of {@code tally up --tls}. */
  public static final String CERTS_DIR = "certs";

  /** The CA file clients trust with {@code --tls}, when the cluster runs with TLS. */
  public java.util.Optional<Path> caFile() {
    return tls == null ? java.util.Optional.empty() : java.util.Optional.of(tls.caFile());
  }

  /**
   * Makes the certificates of a TLS cluster once: a later run on the same directory reuses them
   * (so a restarted cluster keeps its CA); a directory holding only some of them is refused.
   *
   * @return true when new certificates were written
   * @throws LocalClusterException saying what to do about a partial set
   */
  public boolean prepareTls() {
    if (tls == null) {
      return false;
    }
    List<Path> files = tls.files();
    long present = files.stream().filter(Files::exists).count();
    if (present == files.size()) {
      return false;
    }
    if (present > 0) {
      throw new LocalClusterException(tls.dir() + " holds only some of the certificates of this cluster (missing "
          + files.stream().filter(f -> !Files.exists(f)).toList() + "): delete that directory, or add --fresh");
    }
    try {
      DevCertificates.create(tls);
    } catch (RuntimeException e) {
      throw new LocalClusterException("cannot write the certificates into " + tls.dir() + ": " + e.getMessage(), e);
    }
    return true;
  }

  public LocalLayout layout() {
    return layout;
  }

  /**
   * Makes the directory ready: wipes it first when {@code fresh}, refuses a directory that holds
   * something else or a cluster of another shape, and records the shape.
   *
   * @throws LocalClusterException saying what to do instead
   */
  public void prepare(boolean fresh) {
    Path dir = layout.dir();
    Path marker = dir.resolve(MARKER);
    try {
      if (Files.isDirectory(dir) && !isEmpty(dir) && !Files.exists(marker)) {
        throw new LocalClusterException(dir + " is not empty and was not made by 'tally up'; "
            + (fresh ? "refusing to wipe it" : "refusing to use it") + ": choose another --dir");
      }
      if (fresh && Files.exists(marker)) {
        deleteTree(dir);
      }
      Files.createDirectories(dir);
      if (Files.exists(marker)) {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(marker)) {
          p.load(in);
        }
        String nodes = p.getProperty("nodes");
        String dcs = p.getProperty("dcs");
        if (!String.valueOf(layout.nodes()).equals(nodes) || !String.valueOf(layout.dcs()).equals(dcs)) {
          throw new LocalClusterException(dir + " holds a cluster of " + nodes + " nodes in " + dcs
              + " data center(s); restart it with --nodes " + nodes + " --dcs " + dcs
              + ", or add --fresh to wipe it and start a new one");
        }
      } else {
        Properties p = new Properties();
        p.setProperty("nodes", String.valueOf(layout.nodes()));
        p.setProperty("dcs", String.valueOf(layout.dcs()));
        try (var out = Files.newBufferedWriter(marker)) {
          p.store(out, "written by tally up: the shape of the cluster in this directory");
        }
      }
    } catch (IOException e) {
      throw new LocalClusterException("cannot prepare " + dir + ": " + e, e);
    }
  }

  /**
   * Checks that every port of the layout is free on 127.0.0.1 before anything starts.
   *
   * @throws LocalClusterException naming the first port in use and its role
   */
  public void checkPortsFree() {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    for (LocalLayout.Node n : layout.all()) {
      Map<String, Integer> roles = new LinkedHashMap<>();
      roles.put("client", n.clientPort());
      roles.put("peer", n.peerPort());
      roles.put("membership", n.membershipPort());
      roles.put("metrics", n.metricsPort());
      roles.put("HTTP", n.httpPort());
      for (Map.Entry<String, Integer> role : roles.entrySet()) {
        int port = role.getValue();
        try (ServerSocket tcp = new ServerSocket(port, 1, loopback)) {
          tcp.setReuseAddress(true);
          if (port == n.membershipPort()) {
            new DatagramSocket(port, loopback).close(); // membership uses UDP too
          }
        } catch (IOException e) {
          throw new LocalClusterException("port " + port + " (" + n.name() + " " + role.getKey() + ") is in use on"
              + " 127.0.0.1: is another 'tally up' running? Stop it, or choose other ports with --base-port");
        }
      }
    }
  }

  /** Starts every node process. */
  public void launch() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> jvmArgs = childJvmArgs();
    String seeds = String.join(",", layout.seeds());
    for (LocalLayout.Node n : layout.all()) {
      if (stopping) {
        return; // stopped (Ctrl-C) while starting: start no more
      }
      List<String> cmd = new ArrayList<>();
      cmd.add(java);
      cmd.addAll(jvmArgs);
      cmd.add("-D" + ParentWatch.PROPERTY + "=" + ProcessHandle.current().pid());
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.tally.node.cli.TallyCommand", "node",
          "--name", n.name(), "--dc", n.dc(), "--host", "127.0.0.1",
          "--port", Integer.toString(n.clientPort()), "--peer-port", Integer.toString(n.peerPort()),
          "--metrics-port", Integer.toString(n.metricsPort()), "--http-port", Integer.toString(n.httpPort()),
          "--data-dir", n.dataDir().toString(),
          "--seeds", seeds));
      if (tls != null) {
        cmd.addAll(List.of("--tls-cert", tls.cert(n.name()).toString(), "--tls-key", tls.key(n.name()).toString(),
            "--tls-ca", tls.caFile().toString()));
      }
      cmd.addAll(nodeArgs);
      try {
        Files.createDirectories(n.home());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log().toFile())).start();
        processes.put(n.name(), p);
        p.onExit().thenAccept(done -> {
          if (!stopping) {
            report.accept("node " + n.name() + " (pid " + done.pid() + ") exited with code " + done.exitValue()
                + "; the other nodes carry on. Its log: " + n.log());
          }
        });
      } catch (IOException e) {
        throw new LocalClusterException("cannot start node " + n.name() + ": " + e, e);
      }
    }
  }

  /** The pid of each node process, by name. */
  public Map<String, Long> pids() {
    Map<String, Long> out = new LinkedHashMap<>();
    snapshot().forEach((name, p) -> out.put(name, p.pid()));
    return out;
  }

  /** True while at least one node process runs. */
  public boolean anyAlive() {
    return snapshot().values().stream().anyMatch(Process::isAlive);
  }

  private Map<String, Process> snapshot() {
    synchronized (processes) {
      return new LinkedHashMap<>(processes);
    }
  }

  /**
   * Waits until every node answers its health check with SERVING and sees every other node alive.
   *
   * @throws LocalClusterException when a node exits first (with the end of its log) or the timeout
   *     passes (naming what is missing)
   */
  public void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, ManagedChannel> channels = new LinkedHashMap<>();
    try {
      for (LocalLayout.Node n : layout.all()) {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress("127.0.0.1", n.clientPort());
        if (tls == null) {
          b.usePlaintext();
        } else {
          try {
            b.sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient().trustManager(tls.caFile().toFile()).build());
          } catch (javax.net.ssl.SSLException e) {
            throw new LocalClusterException("cannot read " + tls.caFile() + ": " + e.getMessage(), e);
          }
        }
        channels.put(n.name(), b.build());
      }
      String missing = "";
      while (System.nanoTime() < deadline) {
        for (LocalLayout.Node n : layout.all()) {
          Process p = snapshot().get(n.name());
          if (p != null && !p.isAlive()) {
            throw new LocalClusterException("node " + n.name() + " exited with code " + p.exitValue()
                + " while starting; the end of " + n.log() + ":\n" + tail(n.log(), 15));
          }
        }
        missing = notReady(channels);
        if (missing.isEmpty()) {
          return;
        }
        Thread.sleep(200); // polling child processes: there is nothing to wait on but time
      }
      throw new LocalClusterException("the cluster was not ready within " + timeout.toSeconds() + " s: " + missing
          + "; see the node logs under " + layout.dir());
    } finally {
      for (ManagedChannel c : channels.values()) {
        c.shutdownNow();
      }
    }
  }

  /** What is not ready yet, empty when everything is. */
  private String notReady(Map<String, ManagedChannel> channels) {
    for (Map.Entry<String, ManagedChannel> e : channels.entrySet()) {
      try {
        ServingStatus health = HealthGrpc.newBlockingStub(e.getValue()).withDeadlineAfter(1, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        if (health != ServingStatus.SERVING) {
          return e.getKey() + " is " + health;
        }
        ClusterStatusResponse status = ClusterServiceGrpc.newBlockingStub(e.getValue()).withDeadlineAfter(1, TimeUnit.SECONDS)
            .clusterStatus(ClusterStatusRequest.getDefaultInstance());
        long alive = status.getMembersList().stream().filter(m -> m.getState() == MemberStatus.State.STATE_ALIVE).count();
        if (alive < layout.nodes()) {
          return e.getKey() + " sees " + alive + " of " + layout.nodes() + " nodes alive";
        }
      } catch (RuntimeException ex) {
        return e.getKey() + " does not answer yet";
      }
    }
    return "";
  }

  /**
   * Stops every node: SIGTERM (each stops gracefully), then SIGKILL for any still running after
   * {@code grace}. Idempotent.
   */
  public void stop(Duration grace) {
    stopping = true;
    Map<String, Process> all = snapshot();
    for (Process p : all.values()) {
      p.destroy();
    }
    long deadline = System.nanoTime() + grace.toNanos();
    for (Map.Entry<String, Process> e : all.entrySet()) {
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        if (!e.getValue().waitFor(left, TimeUnit.NANOSECONDS)) {
          report.accept("node " + e.getKey() + " did not stop within " + grace.toSeconds() + " s; killing it");
          e.getValue().destroyForcibly();
          e.getValue().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        e.getValue().destroyForcibly();
      }
    }
  }

  /**
   * The JVM flags of this process, for the children (so they get the same --add-opens, heap and GC
   * settings), without a debugger agent, whose port only one process can hold.
   */
  static List<String> childJvmArgs() {
    List<String> out = new ArrayList<>();
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("-agentlib:jdwp") || arg.startsWith("-Xrunjdwp") || arg.startsWith("-D" + ParentWatch.PROPERTY + "=")) {
        continue;
      }
      out.add(arg);
    }
    return out;
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  /** Empty but for an endpoints file, which a 'tally up' with another --dir may have left here. */
  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.allMatch(p -> p.getFileName().toString().equals("endpoints"));
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
