package dev.tally.node.cli;

import ch.qos.logback.classic.Level;
import dev.tally.client.TallyClient;
import dev.tally.client.TallyClientBuilder;
import dev.tally.client.PermissionDeniedException;
import dev.tally.client.TallyException;
import dev.tally.client.UnauthenticatedException;
import dev.tally.client.UnavailableException;
import dev.tally.client.WriteOutcomeUnknownException;
import dev.tally.node.config.Durations;
import io.grpc.Status;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every client command shares: it resolves the target, builds a {@link TallyClient} with the
 * command's deadline, runs, and turns the client's exceptions into one line on stderr and an exit
 * code ({@link ExitCodes}).
 */
abstract class ClientCommand implements Callable<Integer> {

  /** The client's default overall deadline, used when {@code --timeout} is not given. */
  static final Duration DEFAULT_TIMEOUT = TallyClientBuilder.DEFAULT_DEADLINE;

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions options;

  private final TargetResolver targets;
  private TargetResolver.Resolved resolved;
  /** Where {@code TALLY_TOKEN} is read from: the process environment, or a test's. */
  private java.util.Map<String, String> env = System.getenv();

  ClientCommand(TargetResolver targets) {
    this.targets = Objects.requireNonNull(targets, "targets");
  }

  /** Test seam: the environment {@code TALLY_TOKEN} is read from. */
  ClientCommand withEnv(java.util.Map<String, String> environment) {
    this.env = Map.copyOf(environment);
    return this;
  }

  @Override
  public final Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      resolved = options.target != null
          ? new TargetResolver.Resolved(options.target, "--target")
          : targets.resolve();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    quietClientLogs();
    TallyClientBuilder builder;
    try {
      builder = TallyClient.builder().target(resolved.target()).deadline(timeout());
    } catch (IllegalArgumentException e) {
      // Only a target from the endpoints file can get here: --target was checked while parsing.
      throw new CommandLine.ParameterException(spec.commandLine(),
          "target '" + resolved.target() + "' from " + resolved.source() + ": " + e.getMessage(), e);
    }
    try {
      options.applySecurity(builder, env);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    configure(builder);
    TallyClient built;
    try {
      built = builder.build();
    } catch (IllegalStateException | IllegalArgumentException e) {
      // A token over plaintext to another host, or TLS files that do not load.
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage()
          .replace("useTls(...)", "--tls (with --ca)").replace("allowTokenOverPlaintext(true)", "a loopback target"), e);
    }
    try (TallyClient client = built) {
      return run(client, out, err);
    } catch (WriteOutcomeUnknownException e) {
      String id = e.requestId().orElse("?");
      // '*' is quoted so that a shell pastes it rather than expanding it.
      String prior = e.priorNodes().isEmpty() ? ""
          : " --prior-nodes " + String.join(",", e.priorNodes()).replace("*", "'*'");
      err.println(oneLine("error: " + e.getMessage() + timeoutHint(e)
          + "; to retry safely, rerun the command with --request-id " + id + prior));
      err.flush();
      return ExitCodes.WRITE_OUTCOME_UNKNOWN;
    } catch (TallyException e) {
      return report(e, err);
    }
  }

  /** Prints the one line of a failed call and returns its exit code. */
  final int report(TallyException e, PrintWriter err) {
    int code = ExitCodes.CALL_FAILED;
    String line = errorLine(e);
    if (e instanceof UnauthenticatedException) {
      line = oneLine("error: not authenticated: " + e.description() + "; set " + ClientOptions.TOKEN_ENV
          + " (or --token) to a token from the nodes' auth-tokens file");
      code = ExitCodes.UNAUTHENTICATED;
    } else if (e instanceof PermissionDeniedException) {
      line = oneLine("error: permission denied: " + e.description());
      code = ExitCodes.PERMISSION_DENIED;
    }
    err.println(line);
    err.flush();
    return code;
  }

  /** The one line a failed call prints (without the trailing newline). */
  String errorLine(TallyException e) {
    if (e instanceof UnavailableException) {
      // The attempts and the last endpoint matter here, and so does where a default target came from.
      return oneLine("error: " + e.getMessage() + timeoutHint(e) + tlsHint(e) + (options.target != null ? "" : "; the target "
          + resolved.target() + " is " + resolved.source() + "; pass --target to call another"));
    }
    String description = e.description().isEmpty() ? "" : ": " + e.description();
    return oneLine("error: " + e.code() + description);
  }

  /**
   * Names the likely cause of a failed connection that gRPC describes by its internals: a node
   * serving TLS closes a plaintext connection without a word ("Network closed for unknown
   * reason"), and a failed handshake comes back as the TLS engine's exception.
   */
  private String tlsHint(TallyException e) {
    String message = String.valueOf(e.getMessage());
    if (!options.security.tlsOn()) {
      return message.contains("Network closed for unknown reason")
          ? "; if the node serves TLS (tls-cert), add --tls and --ca FILE" : "";
    }
    // The TLS engines' own words ("General OpenSslEngine problem", "PKIX path building failed").
    return message.contains("SslHandler") || message.contains("PKIX") || message.contains("SSL")
        ? "; the TLS handshake failed: check that --ca holds the CA that signed the node's certificate, that the "
            + "certificate names the host in --target, and --cert/--key if the node asks for a client certificate"
        : "";
  }

  /** Says which timeout ran out, since gRPC's own words for it are about its internals. */
  private String timeoutHint(TallyException e) {
    return e.code() == Status.Code.DEADLINE_EXCEEDED
        ? "; no answer within " + Durations.format(timeout()) + (options.timeout == null ? " (the default; set --timeout)" : " (--timeout)")
        : "";
  }

  /**
   * {@code text} on one line: some descriptions (from gRPC, or from whatever answered instead of a
   * node) span several lines, and stderr promises one line per error.
   */
  static String oneLine(String text) {
    return text.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
  }

  /** The overall deadline of a call: {@code --timeout}, else {@link #defaultTimeout()}. */
  final Duration timeout() {
    return options.timeout != null ? options.timeout : defaultTimeout();
  }

  /** The deadline when {@code --timeout} is not given. */
  Duration defaultTimeout() {
    return DEFAULT_TIMEOUT;
  }

  /** The environment {@code TALLY_TOKEN} is read from. */
  final Map<String, String> env() {
    return env;
  }

  /** The target the command calls (after {@link #call()} resolved it). */
  final String target() {
    return resolved.target();
  }

  /** Adds command-specific settings to the client. */
  void configure(TallyClientBuilder builder) {}

  /**
   * Runs the command with a client; throws the client's exceptions for {@link #call()} to print.
   *
   * @return the exit code
   */
  abstract int run(TallyClient client, PrintWriter out, PrintWriter err);

  /**
   * The client logs its settings at INFO and a watch's end at WARN; the command prints what a user
   * needs itself, so those would only repeat it. {@code -Dtally.log.level=DEBUG} (in
   * TALLY_JAVA_OPTS) keeps them, retries included.
   */
  private static void quietClientLogs() {
    if (System.getProperty("tally.log.level") != null) {
      return;
    }
    if (LoggerFactory.getLogger("dev.tally.client") instanceof ch.qos.logback.classic.Logger logger) {
      logger.setLevel(Level.ERROR);
    }
  }
}
