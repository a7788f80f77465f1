package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tally up}: a real local cluster of node processes, and its refusals. */
class UpCommandTest {
  private static final Pattern NODE_LINE = Pattern.compile("^\\s+(n\\d+)\\s+(dc\\d+)\\s+pid (\\d+)\\s+127\\.0\\.0\\.1:(\\d+)\\s+http://127\\.0\\.0\\.1:(\\d+)$",
      Pattern.MULTILINE);

  @TempDir
  Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int runInProcess(String... args) {
    CommandLine cl = TallyCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  /** A base port whose 3 nodes' ports (client, peer, membership TCP+UDP, metrics, HTTP) were all free a moment ago. */
  private static int freeBasePort(int nodes) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + 10 * ThreadLocalRandom.current().nextInt(3_000);
      if (allFree(base, nodes)) {
        return base;
      }
    }
    throw new IllegalStateException("no free port range found");
  }

  private static boolean allFree(int base, int nodes) {
    InetAddress lo = InetAddress.getLoopbackAddress();
    for (int i = 0; i < nodes; i++) {
      for (int off = 0; off < 5; off++) {
        int port = base + 10 * i + off;
        try (ServerSocket s = new ServerSocket(port, 1, lo); DatagramSocket u = new DatagramSocket(port, lo)) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          return false;
        }
      }
    }
    return true;
  }

  /** {@code tally up} in its own JVM (test classpath, the test JVM's --add-opens, a small heap the nodes inherit). */
  private Process startUp(Path home, Path dir, int base, Path output, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + tmp.resolve("jvm-tmp")));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-opens")) {
        cmd.add(arg);
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.tally.node.cli.TallyCommand", "up",
        "--dir", dir.toString(), "--base-port", Integer.toString(base)));
    if (!List.of(extra).contains("--nodes")) {
      cmd.addAll(List.of("--nodes", "3"));
    }
    cmd.addAll(List.of(extra));
    Files.createDirectories(tmp.resolve("jvm-tmp"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("TALLY_"));
    pb.environment().put("TALLY_HOME", home.toString());
    return pb.start();
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "";
    }
  }

  @Test
  void up_startsThreeNodeProcesses_anIncrementOnOneIsSeenOnTheOthers_andSigtermStopsThemAll() throws Exception {
    Path home = tmp.resolve("home");
    Path dir = tmp.resolve("cluster");
    Path output = tmp.resolve("up.out");
    int base = freeBasePort(3);
    Process up = startUp(home, dir, base, output);
    Map<String, Long> pids = new LinkedHashMap<>();
    try {
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
          .until(() -> read(output).contains("ready in") || !up.isAlive());
      String text = read(output);
      assertThat(up.isAlive()).as("tally up is running; its output:%n%s", text).isTrue();
      Matcher m = NODE_LINE.matcher(text);
      List<Integer> ports = new ArrayList<>();
      List<Integer> httpPorts = new ArrayList<>();
      while (m.find()) {
        pids.put(m.group(1), Long.parseLong(m.group(3)));
        ports.add(Integer.parseInt(m.group(4)));
        httpPorts.add(Integer.parseInt(m.group(5)));
      }
      assertThat(pids).as(text).containsOnlyKeys("n1", "n2", "n3");
      assertThat(ports).containsExactly(base, base + 10, base + 20);
      assertThat(httpPorts).containsExactly(base + 4, base + 14, base + 24);
      assertThat(Files.readString(home.resolve("local").resolve("endpoints")).strip())
          .isEqualTo("127.0.0.1:" + base + ",127.0.0.1:" + (base + 10) + ",127.0.0.1:" + (base + 20));
      assertThat(dir.resolve("n2").resolve("node.log")).exists();

      ManagedChannel n1 = TestNodes.channel(base);
      ManagedChannel n3 = TestNodes.channel(base + 20);
      try {
        TestNodes.blocking(n1).increment(IncrementRequest.newBuilder().setKey("up:likes").setAmount(3).build());
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
            TestNodes.blocking(n3).get(GetRequest.newBuilder().setKey("up:likes").build()).getValue() == 3);
        java.net.http.HttpResponse<String> overHttp = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + (base + 24)
                + "/v1/counters/up%3Alikes")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(overHttp.body()).as("n3's HTTP port").contains("\"value\":3");
      } finally {
        TestNodes.shutdown(n1);
        TestNodes.shutdown(n3);
      }

      up.destroy(); // SIGTERM
      assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("tally up exits after SIGTERM").isTrue();
      assertThat(up.exitValue()).as(read(output)).isZero();
      for (Map.Entry<String, Long> p : pids.entrySet()) {
        assertThat(ProcessHandle.of(p.getValue()).map(ProcessHandle::isAlive).orElse(false))
            .as("node %s (pid %d) is gone", p.getKey(), p.getValue()).isFalse();
      }
      assertThat(read(output)).contains("stopping 3 nodes", "stopped");
      assertThat(home.resolve("local").resolve("endpoints")).doesNotExist();
    } finally {
      if (up.isAlive()) {
        up.destroyForcibly();
      }
      for (long pid : pids.values()) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  @Test
  void upTls_makesCertificatesOnce_andEveryNodeServesTlsOnly() throws Exception {
    Path home = tmp.resolve("home");
    Path dir = tmp.resolve("cluster");
    Path output = tmp.resolve("up.out");
    int base = freeBasePort(2);
    Process up = startUp(home, dir, base, output, "--nodes", "2", "--tls");
    try {
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
          .until(() -> read(output).contains("Ctrl-C stops the cluster") || !up.isAlive());
      String text = read(output);
      assertThat(up.isAlive()).as("tally up --tls is running; its output:%n%s", text).isTrue();
      Path ca = dir.resolve("certs").resolve("ca.pem");
      assertThat(text).contains("made certificates under " + dir.resolve("certs"), "Clients connect with --tls --ca " + ca);
      for (String f : List.of("ca.pem", "ca-key.pem", "n1.pem", "n1-key.pem", "n2.pem", "n2-key.pem", "client.pem", "client-key.pem")) {
        assertThat(dir.resolve("certs").resolve(f)).exists();
      }
      ManagedChannel n1 = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", base)
          .sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient().trustManager(ca.toFile()).build()).build();
      ManagedChannel n2 = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", base + 10)
          .sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient().trustManager(ca.toFile()).build()).build();
      ManagedChannel plain = TestNodes.channel(base);
      try {
        TestNodes.blocking(n1).increment(IncrementRequest.newBuilder().setKey("up:likes").setAmount(3).build());
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
            TestNodes.blocking(n2).get(GetRequest.newBuilder().setKey("up:likes").build()).getValue() == 3);
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(io.grpc.StatusRuntimeException.class,
            () -> TestNodes.blocking(plain).get(GetRequest.newBuilder().setKey("up:likes").build())).getStatus().getCode())
            .isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
      } finally {
        TestNodes.shutdown(n1);
        TestNodes.shutdown(n2);
        TestNodes.shutdown(plain);
      }
      up.destroy();
      assertThat(up.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      if (up.isAlive()) {
        up.destroyForcibly();
      }
    }
  }

  @Test
  void up_badCounts_areUsageErrors() {
    assertThat(runInProcess("up", "--nodes", "0", "--dir", tmp.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--nodes must be 1..20, got 0");
    assertThat(runInProcess("up", "--nodes", "3", "--dcs", "4", "--dir", tmp.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--dcs must be 1..--nodes (3), got 4");
    assertThat(runInProcess("up", "--base-port", "65530", "--dir", tmp.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--base-port must leave room for 3 nodes");
  }

  @Test
  void up_portInUse_refusesToStartAndSaysWhichPort() throws Exception {
    int base = freeBasePort(3);
    try (ServerSocket taken = new ServerSocket(base + 11, 1, InetAddress.getLoopbackAddress())) {
      assertThat(runInProcess("up", "--dir", tmp.resolve("c").toString(), "--base-port", Integer.toString(base))).isEqualTo(1);
    }
    assertThat(err.toString()).contains("port " + (base + 11) + " (n2 peer) is in use", "--base-port");
  }

  @Test
  void up_directoryOfSomethingElse_isRefused_evenWithFresh() throws Exception {
    Path foreign = tmp.resolve("photos");
    Files.createDirectories(foreign);
    Files.writeString(foreign.resolve("cat.jpg"), "meow");

    assertThat(runInProcess("up", "--dir", foreign.toString(), "--fresh", "--base-port", Integer.toString(freeBasePort(3))))
        .isEqualTo(1);

    assertThat(err.toString()).contains("is not empty and was not made by 'tally up'; refusing to wipe it");
    assertThat(foreign.resolve("cat.jpg")).exists();
  }

  @Test
  void up_directoryOfAnotherShape_isRefusedWithTheCommandThatRestartsIt() throws Exception {
    Path dir = tmp.resolve("c");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("tally-up.properties"), "nodes=4\ndcs=2\n");

    assertThat(runInProcess("up", "--nodes", "3", "--dir", dir.toString(), "--base-port", Integer.toString(freeBasePort(3))))
        .isEqualTo(1);

    assertThat(err.toString()).contains("holds a cluster of 4 nodes in 2 data center(s)", "--nodes 4 --dcs 2", "--fresh");
  }
}
