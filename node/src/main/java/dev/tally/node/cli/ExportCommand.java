package dev.tally.node.cli;

import dev.tally.api.v1.AdminServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.ExportRequest;
import dev.tally.client.TallyClient;
import dev.tally.node.config.HostPort;
import dev.tally.node.migrate.CounterRecord;
import dev.tally.node.migrate.JsonLinesWriter;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tally export --out FILE}: one node's counters as JSON Lines, streamed from
 * AdminService.Export. An interrupted stream (a node restart, a dropped connection) is resumed
 * after the last key written, on the next target, a few times; the file appears (renamed from a
 * temporary file beside it) only once the whole export is written.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    sortOptions = false,
    description = {
        "Writes every counter of one node as JSON Lines: one {\"key\",\"value\",\"updated_at\"} object per line.",
        "The node streams its own state from one snapshot (a point-in-time view of that node; see "
            + "docs/migration.md), paced by how fast this command writes. Needs the admin role with auth-tokens.",
        "The file is written beside FILE under a temporary name and renamed when complete. "
            + "Progress goes to stderr, then a summary line.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:success",
        "1:the export failed (stderr says why); FILE was not written",
        "2:usage error (a wrong flag, a missing argument)",
        "4:not authenticated: the node needs a token (TALLY_TOKEN) and got none or an unknown one",
        "5:permission denied: the token lacks the admin role, or --prefix is outside its prefixes"},
    footerHeading = "%nExamples:%n",
    footer = {
        "  tally export --out counters.jsonl",
        "  tally export --out likes.jsonl --prefix likes: --target 10.0.0.5:7400",
        "  tally export --out - | gzip > counters.jsonl.gz"})
public final class ExportCommand extends ClientCommand {
  /** How many times an interrupted stream is resumed. */
  static final int RESUMES = 3;

  @Option(names = "--out", paramLabel = "FILE", required = true, order = 1,
      description = "Where to write the JSON Lines; '-' for stdout.")
  String out;

  @Option(names = "--prefix", paramLabel = "PREFIX", order = 2, defaultValue = "",
      description = "Only keys starting with PREFIX. Default: every key.")
  String prefix;

  public ExportCommand() {
    this(TargetResolver.system());
  }

  ExportCommand(TargetResolver targets) {
    super(targets);
  }

  @Override
  int run(TallyClient unused, PrintWriter stdout, PrintWriter err) {
    List<HostPort> endpoints;
    try {
      endpoints = java.util.Arrays.stream(target().split(",")).map(String::strip).map(HostPort::parse).toList();
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--target: " + e.getMessage(), e);
    }
    boolean toStdout = out.equals("-");
    if (toStdout && options.json) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--json prints a summary on stdout, which --out - uses for the export; give --out FILE");
    }
    Path file = toStdout ? null : Path.of(out).toAbsolutePath();
    Path temp = null;
    long started = System.nanoTime();
    ExportProgress progress = new ExportProgress(err);
    try {
      JsonLinesWriter sink;
      if (toStdout) {
        // Not closed: stdout stays the command line's.
        sink = new JsonLinesWriter(new java.io.FilterWriter(stdout) {
          @Override
          public void close() {
            flushQuietly(stdout);
          }
        });
      } else {
        if (Files.isDirectory(file)) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--out " + out + " is a directory");
        }
        temp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".", ".tmp");
        sink = new JsonLinesWriter(new java.io.BufferedOutputStream(Files.newOutputStream(temp), 1 << 16));
      }
      String node;
      long written;
      try (JsonLinesWriter writer = sink) {
        Result r = stream(endpoints, writer, progress, err);
        node = r.node;
        written = r.written;
        writer.flush();
      }
      if (!toStdout) {
        move(temp, file);
        temp = null;
      }
      progress.done();
      double seconds = (System.nanoTime() - started) / 1e9;
      err.println("exported " + written + (written == 1 ? " counter" : " counters") + " from " + node
          + (prefix.isEmpty() ? "" : " with prefix '" + prefix + "'") + " to " + (toStdout ? "stdout" : file)
          + String.format(java.util.Locale.ROOT, " in %.1fs", seconds));
      err.flush();
      if (options.json) {
        stdout.println(dev.tally.node.migrate.SummaryJson.export(written, node, file.toString(), seconds));
        stdout.flush();
      }
      return ExitCodes.OK;
    } catch (StatusRuntimeException e) {
      progress.done();
      return report(e, err);
    } catch (IOException e) {
      progress.done();
      err.println(oneLine("error: writing " + (toStdout ? "stdout" : out) + " failed: " + e));
      err.flush();
      return ExitCodes.CALL_FAILED;
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          err.println("warning: could not remove the temporary file " + temp + ": " + e.getMessage());
        }
      }
    }
  }

  private record Result(String node, long written) {}

  /** Streams into {@code writer}, resuming after the last key written when the stream breaks. */
  private Result stream(List<HostPort> endpoints, JsonLinesWriter writer, ExportProgress progress, PrintWriter err)
      throws IOException {
    String last = "";
    long written = 0;
    StatusRuntimeException failure = null;
    for (int attempt = 0; attempt <= RESUMES; attempt++) {
      HostPort endpoint = endpoints.get(attempt % endpoints.size());
      ManagedChannel channel = channel(endpoint);
      try {
        Iterator<CounterValue> values = AdminServiceGrpc.newBlockingStub(channel)
            .export(ExportRequest.newBuilder().setPrefix(prefix).setStartAfter(last).build());
        while (values.hasNext()) {
          CounterValue v = values.next();
          writer.write(new CounterRecord(v.getKey(), v.getValue(), v.hasUpdatedAt()
              ? Instant.ofEpochSecond(v.getUpdatedAt().getSeconds(), v.getUpdatedAt().getNanos()) : null));
          last = v.getKey();
          written++;
          progress.update(written);
        }
        return new Result(endpoint.toString(), written);
      } catch (StatusRuntimeException e) {
        failure = e;
        Status.Code code = e.getStatus().getCode();
        if (code != Status.Code.UNAVAILABLE && code != Status.Code.RESOURCE_EXHAUSTED) {
          throw e;
        }
        if (attempt < RESUMES) {
          progress.interrupt();
          err.println(oneLine("export from " + endpoint + " interrupted after " + written + " counters: " + code
              + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription())
              + "; resuming after the last key written"));
          err.flush();
        }
      } finally {
        channel.shutdownNow();
        try {
          channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    throw failure;
  }

  private ManagedChannel channel(HostPort endpoint) {
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(endpoint.host(), endpoint.port())
        .maxInboundMessageSize(16 << 20);
    var tls = options.security.sslContext();
    if (tls.isPresent()) {
      b.sslContext(tls.get());
    } else {
      b.usePlaintext();
    }
    options.security.tokenInterceptor(env()).ifPresent(b::intercept);
    return b.build();
  }

  private static void flushQuietly(PrintWriter w) {
    w.flush();
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The one line of a failed stream, with the exit code {@link ClientCommand#report} would give. */
  private int report(StatusRuntimeException e, PrintWriter err) {
    Status s = e.getStatus();
    String description = s.getDescription() == null ? "" : ": " + s.getDescription();
    int code = ExitCodes.CALL_FAILED;
    String line = "error: export failed: " + s.getCode() + description
        + (out.equals("-") ? " (the output is incomplete)" : " (" + out + " was not written)");
    if (s.getCode() == Status.Code.UNAUTHENTICATED) {
      line = "error: not authenticated" + description + "; set " + ClientOptions.TOKEN_ENV
          + " (or --token) to an admin token from the nodes' auth-tokens file";
      code = ExitCodes.UNAUTHENTICATED;
    } else if (s.getCode() == Status.Code.PERMISSION_DENIED) {
      line = "error: permission denied" + description;
      code = ExitCodes.PERMISSION_DENIED;
    }
    err.println(oneLine(line));
    err.flush();
    return code;
  }
}
