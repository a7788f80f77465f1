package dev.tally.node.cli;

import dev.tally.node.local.LocalCluster;
import dev.tally.node.local.LocalClusterException;
import dev.tally.node.local.LocalLayout;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tally up}: a local cluster of node processes on 127.0.0.1, in the foreground until Ctrl-C
 * or SIGTERM, which stop every node gracefully and exit 0.
 *
 * <p>Threads: the command's thread starts the cluster and then waits; a shutdown hook (Ctrl-C,
 * SIGTERM) stops the nodes, removes the endpoints file and halts with status 0; exit callbacks of
 * the node processes report a node that dies on its own.
 */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Starts a local cluster: N node processes on 127.0.0.1 that replicate to each other.",
        "Node i is n<i> in dc<1 + (i-1) mod D>, on ports BASE + 10*(i-1): +0 client, +1 peer,",
        "+2 membership, +3 metrics, +4 HTTP/JSON (REST, SSE, /console). Data and logs live under DIR/n<i>. The client endpoints are",
        "written to $TALLY_HOME/local/endpoints, where the client commands look by default.",
        "Ctrl-C or SIGTERM stops every node; running it again on the same DIR restarts the same",
        "nodes with their data.",
        ""
    },
    footerHeading = "%nExamples:%n",
    footer = {
        "  tally up --nodes 3              three nodes in one data center",
        "  tally up --nodes 4 --dcs 2      n1, n3 in dc1; n2, n4 in dc2",
        "  tally up --nodes 3 --fresh      wipe the previous local cluster first",
        "",
        "Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 could not start (port in use, a node failed), 2 usage."
    })
public final class UpCommand implements Callable<Integer> {
  /** How long the nodes get to start and find each other. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  /** How long a node gets to stop after SIGTERM before it is killed. */
  static final Duration STOP_GRACE = Duration.ofSeconds(20);

  @Spec
  CommandSpec spec;

  @Option(names = "--nodes", paramLabel = "N", description = "Number of nodes (1..20). Default: ${DEFAULT-VALUE}.")
  int nodes = 3;

  @Option(names = "--dcs", paramLabel = "D", description = "Number of data centers (1..N). Default: ${DEFAULT-VALUE}.")
  int dcs = 1;

  @Option(names = "--dir", paramLabel = "DIR", description = "The cluster's directory. Default: $TALLY_HOME/local (TALLY_HOME defaults to ~/.tally).")
  Path dir;

  @Option(names = "--base-port", paramLabel = "P", description = "n1's client port; node i uses P + 10*(i-1) .. +3. Default: ${DEFAULT-VALUE}.")
  int basePort = 7400;

  @Option(names = "--fresh", description = "Wipe DIR first (only a directory made by tally up).")
  boolean fresh;

  @Option(names = "--tls", description = "TLS on every port: certificates are made once under DIR/certs (a CA, n<i>.pem per node, client.pem), and every node runs with tls-cert, tls-key and tls-ca (mutual TLS between nodes).")
  boolean tls;

  /** Tally's own directory: $TALLY_HOME, else ~/.tally. */
  static Path tallyHome() {
    String home = System.getenv("TALLY_HOME");
    return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".tally");
  }

  /** Where the client commands find the local cluster's endpoints. */
  public static Path endpointsFile() {
    return tallyHome().resolve("local").resolve("endpoints");
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LocalLayout layout;
    try {
      layout = new LocalLayout(nodes, dcs, (dir != null ? dir : tallyHome().resolve("local")).toAbsolutePath().normalize(),
          basePort);
    } catch (IllegalArgumentException e) {
      err.println("tally up: " + e.getMessage());
      err.flush();
      return 2;
    }
    LocalCluster cluster = new LocalCluster(layout, message -> {
      err.println("tally up: " + message);
      err.flush();
    }, java.util.List.of(), tls);
    Path endpoints = endpointsFile();
    String endpointList = layout.all().stream().map(LocalLayout.Node::clientAddress).collect(Collectors.joining(","));
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      out.println("tally up: stopping " + layout.nodes() + " nodes ...");
      out.flush();
      cluster.stop(STOP_GRACE);
      removeEndpoints(endpoints, endpointList);
      out.println("tally up: stopped");
      out.flush();
      stopped.countDown();
      // Ctrl-C and SIGTERM are how this command is meant to end: exit 0, not 130/143.
      Runtime.getRuntime().halt(0);
    }, "tally-up-stop");

    long start = System.nanoTime();
    try {
      cluster.prepare(fresh);
      if (cluster.prepareTls()) {
        out.println("tally up: made certificates under " + layout.dir().resolve(LocalCluster.CERTS_DIR)
            + " (a throwaway CA; reused by later runs on this directory)");
      }
      cluster.checkPortsFree();
      out.println("tally up: starting " + layout.nodes() + " node" + (layout.nodes() == 1 ? "" : "s") + " in "
          + layout.dcs() + " data center" + (layout.dcs() == 1 ? "" : "s") + " under " + layout.dir() + " ...");
      out.flush();
      Runtime.getRuntime().addShutdownHook(hook);
      cluster.launch();
      cluster.awaitReady(READY_TIMEOUT);
    } catch (LocalClusterException e) {
      err.println("tally up: " + e.getMessage());
      err.flush();
      stopWithoutHook(cluster, hook);
      return 1;
    }

    Map<String, Long> pids = cluster.pids();
    for (LocalLayout.Node n : layout.all()) {
      out.printf("  %-4s %-4s pid %-8d %s  %s%n", n.name(), n.dc(), pids.get(n.name()), n.clientAddress(),
          (cluster.caFile().isPresent() ? "https" : "http") + "://127.0.0.1:" + n.httpPort());
    }
    try {
      Files.createDirectories(endpoints.getParent());
      Files.writeString(endpoints, endpointList + "\n");
    } catch (IOException e) {
      err.println("tally up: cannot write " + endpoints + " (" + e.getMessage() + "); pass --target to the client commands");
    }
    out.printf("tally up: ready in %.1f s. Endpoints in %s; logs in %s/n<i>/node.log; metrics on port +3 of each node.%n",
        (System.nanoTime() - start) / 1e9, endpoints, layout.dir());
    if (cluster.caFile().isPresent()) {
      Path ca = cluster.caFile().get();
      out.println("tally up: TLS on every port. Clients connect with --tls --ca " + ca
          + " (e.g. 'bin/tally incr likes:post-1 --tls --ca " + ca + "'); a client certificate is in "
          + ca.resolveSibling("client.pem") + " and " + ca.resolveSibling("client-key.pem") + ". Ctrl-C stops the cluster.");
    } else {
      out.println("tally up: try 'bin/tally incr likes:post-1' and 'bin/tally status', or over HTTP 'curl -X POST "
          + layout.all().get(0).httpAddress() + "/v1/counters/likes:increment' and the console at "
          + layout.all().get(0).httpAddress() + "/console. Ctrl-C stops the cluster.");
    }
    out.flush();
    while (!stopped.await(1, TimeUnit.SECONDS)) {
      if (!cluster.anyAlive()) {
        err.println("tally up: every node has exited; see the logs under " + layout.dir());
        err.flush();
        removeEndpoints(endpoints, endpointList);
        stopWithoutHook(cluster, hook);
        return 1;
      }
    }
    return 0;
  }

  /** A failed start: stop what was started, here and now, and return normally with the error's status. */
  private static void stopWithoutHook(LocalCluster cluster, Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // already shutting down, or never added
    }
    cluster.stop(STOP_GRACE);
  }

  /** Removes the endpoints file if it still lists this cluster (another 'tally up' may have replaced it). */
  private static void removeEndpoints(Path endpoints, String ours) {
    try {
      if (Files.exists(endpoints) && Files.readString(endpoints).strip().equals(ours)) {
        Files.delete(endpoints);
      }
    } catch (IOException e) {
      // best effort: a stale file only makes the client commands fail to connect, saying where
    }
  }
}
