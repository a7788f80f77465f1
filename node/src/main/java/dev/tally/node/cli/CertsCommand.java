package dev.tally.node.cli;

import dev.tally.node.tls.DevCertificates;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tally certs}: certificates for development and tests. */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = "Makes a throwaway CA and node/client certificates for development and tests.",
    subcommands = CertsCommand.Create.class,
    synopsisSubcommandLabel = "COMMAND")
public final class CertsCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try 'tally certs create --help')");
  }

  /** {@code tally certs create}. */
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
          "Writes a new CA (ca.pem, ca-key.pem), a certificate per node (<name>.pem, <name>-key.pem:",
          "CN and DNS SAN = the node name, every --hosts entry as a SAN, server and client auth) and a",
          "client certificate (<client>.pem, <client>-key.pem: client auth) into DIR. Keys are 0600.",
          "For development and tests only: the CA key sits next to the certificates.",
          ""
      },
      footerHeading = "%nExamples:%n",
      footer = {
          "  tally certs create --dir certs --hosts 127.0.0.1,localhost",
          "  tally certs create --dir certs --hosts 10.0.0.5,db1.example --names db1 --days 30",
          "",
          "Exit codes: 0 written, 1 files exist (see --force) or cannot be written, 2 usage."
      })
  static final class Create implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Where to write the files (created if missing).")
    Path dir;

    @Option(names = "--hosts", required = true, split = ",", paramLabel = "HOST[,HOST...]",
        description = "Names and IP addresses clients and peers reach the nodes by (DNS or IP SANs of every node certificate).")
    List<String> hosts;

    @Option(names = "--names", split = ",", paramLabel = "NAME[,NAME...]",
        description = "Node names, one certificate each (a node's name setting must match). Default: n1,n2,n3.")
    List<String> names = List.of("n1", "n2", "n3");

    @Option(names = "--client", paramLabel = "NAME", description = "CN of the client certificate. Default: ${DEFAULT-VALUE}.")
    String client = "client";

    @Option(names = "--days", paramLabel = "N", description = "Validity in days. Default: ${DEFAULT-VALUE}.")
    int days = 365;

    @Option(names = "--force", description = "Replace existing files.")
    boolean force;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      DevCertificates.Spec s;
      try {
        if (days < 1 || days > 36_500) {
          throw new IllegalArgumentException("--days must be 1..36500");
        }
        s = new DevCertificates.Spec(dir.toAbsolutePath().normalize(), hosts, names, client, Duration.ofDays(days), force);
      } catch (IllegalArgumentException e) {
        err.println("tally certs create: " + e.getMessage());
        err.flush();
        return ExitCodes.USAGE;
      }
      List<Path> written;
      try {
        written = DevCertificates.create(s);
      } catch (IllegalStateException | java.io.UncheckedIOException e) {
        err.println("tally certs create: " + e.getMessage());
        err.flush();
        return ExitCodes.CALL_FAILED;
      }
      out.println("tally certs create: wrote " + written.size() + " files (valid " + days + " days, hosts "
          + String.join(",", hosts) + "):");
      written.forEach(f -> out.println("  " + f + (f.getFileName().toString().endsWith("-key.pem") ? "  (0600)" : "")));
      out.println();
      out.println("Node settings (node " + names.get(0) + "; the others alike):");
      out.println("  --name " + names.get(0) + " --tls-cert " + s.cert(names.get(0)) + " --tls-key " + s.key(names.get(0))
          + " --tls-ca " + s.caFile());
      out.println("  add --client-ca " + s.caFile() + " to require client certificates.");
      out.println("Client: --tls --ca " + s.caFile()
          + (client == null ? "" : " [--cert " + s.cert(client) + " --key " + s.key(client) + "]"));
      out.flush();
      return ExitCodes.OK;
    }
  }

}
