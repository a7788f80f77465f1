package dev.tally.node.cli;

import dev.tally.client.CounterValue;
import dev.tally.client.InvalidArgumentException;
import dev.tally.client.RequestOptions;
import dev.tally.client.RetryEvent;
import dev.tally.client.TallyClient;
import dev.tally.client.TallyClientBuilder;
import dev.tally.client.TallyException;
import java.io.PrintWriter;
import java.util.List;
import java.util.UUID;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code incr} and {@code decr}: one write of one key. The command picks the request id itself
 * (or takes {@code --request-id}), so that when the outcome is unknown it can print the id that
 * makes a rerun safe: the node that applied it answers the rerun with the first result and
 * applies nothing. With several targets a transient failure is retried on the next one by the
 * client, with the same request id and {@code prior_nodes} naming the nodes already tried (see
 * docs/api.md, "Retrying on another node"); each such retry is reported on stderr.
 */
abstract class WriteCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "KEY", description = "The counter's key (1..4096 bytes of UTF-8).")
  String key;

  @Parameters(index = "1", paramLabel = "AMOUNT", arity = "0..1", defaultValue = "1",
      description = "How much to add (incr) or subtract (decr); at least 1. Default: 1.")
  long amount;

  @Mixin
  ClientOptions.ConsistencyOption consistency;

  @Option(names = "--request-id", paramLabel = "ID", order = 104, converter = RequestIdConverter.class,
      description = "Makes the write idempotent: a node that already applied this id (within its "
          + "dedupe window, 10m by default) returns the first result and applies nothing. Pass the id "
          + "printed by a write whose outcome was unknown. Default: a new random id, kept for "
          + "every retry of this run, on any target.")
  String requestId;

  @Option(names = "--prior-nodes", paramLabel = "NODE[,NODE...]", order = 105, split = ",",
      converter = NodeNameConverter.class,
      description = "With --request-id, when retrying by hand on another node: the nodes an earlier "
          + "run with this id may have reached, as printed when its outcome was unknown ('*' for "
          + "any node). The node that gets the write asks them first, so it counts once.")
  List<String> priorNodes;

  WriteCommand(TargetResolver targets) {
    super(targets);
  }

  /** The write itself: increment or decrement. */
  abstract CounterValue write(TallyClient client, String key, long amount, RequestOptions options);

  /** The other write command, suggested when the amount is negative. */
  abstract String opposite();

  @Override
  void configure(TallyClientBuilder builder) {
    PrintWriter err = spec.commandLine().getErr();
    builder.retryListener(event -> {
      if (event.failover()) {
        err.println(retryLine(event));
        err.flush();
      }
    });
  }

  /**
   * What a retry on another target says: {@code node n1 (127.0.0.1:7401) failed: UNAVAILABLE: ...;
   * retrying on 127.0.0.1:7402 with the same request id and prior_nodes [n1]}.
   */
  static String retryLine(RetryEvent e) {
    String who = e.failedNode() != null
        ? "node " + e.failedNode() + " (" + e.failedEndpoint() + ")"
        : "node at " + e.failedEndpoint();
    String why = e.code() + (e.description().isEmpty() ? "" : ": " + e.description());
    String prior = e.priorNodes().isEmpty() ? "" : " and prior_nodes " + e.priorNodes();
    return oneLine(who + " failed: " + why + "; retrying on " + e.endpoint()
        + " with the same request id" + prior);
  }

  @Override
  int run(TallyClient client, PrintWriter out, PrintWriter err) {
    if (priorNodes != null && requestId == null) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--prior-nodes needs --request-id: prior nodes are where an earlier run with that id went");
    }
    String id = requestId != null ? requestId : UUID.randomUUID().toString();
    RequestOptions opts = RequestOptions.defaults().withRequestId(id);
    if (priorNodes != null) {
      opts = opts.withPriorNodes(priorNodes);
    }
    if (consistency.consistency != null) {
      opts = opts.withConsistency(consistency.consistency);
    }
    CounterValue value = write(client, key, amount, opts);
    new CounterOutput(out, options.json, List.of(value.key())).print(value, id);
    return ExitCodes.OK;
  }

  @Override
  String errorLine(TallyException e) {
    String line = super.errorLine(e);
    if (e instanceof InvalidArgumentException && amount < 0 && amount != Long.MIN_VALUE) {
      return line + " (to " + (opposite().equals("decr") ? "subtract" : "add") + " " + (-amount)
          + ", use: tally " + opposite() + " KEY " + (-amount) + ")";
    }
    return line;
  }

  /** A node name, or {@code *}: not blank. */
  static final class NodeNameConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      if (value.isBlank()) {
        throw new TypeConversionException("a prior node name must not be blank");
      }
      return value.strip();
    }
  }

  /** 1..128 bytes of UTF-8, as the node accepts. */
  static final class RequestIdConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        RequestOptions.defaults().withRequestId(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
      return value;
    }
  }
}
