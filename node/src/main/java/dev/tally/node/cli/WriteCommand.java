package dev.tally.node.cli;

import dev.tally.client.CounterValue;
import dev.tally.client.InvalidArgumentException;
import dev.tally.client.RequestOptions;
import dev.tally.client.TallyClient;
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
 * applies nothing.
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
          + "printed by a write whose outcome was unknown. Default: a new random id.")
  String requestId;

  WriteCommand(TargetResolver targets) {
    super(targets);
  }

  /** The write itself: increment or decrement. */
  abstract CounterValue write(TallyClient client, String key, long amount, RequestOptions options);

  /** The other write command, suggested when the amount is negative. */
  abstract String opposite();

  @Override
  int run(TallyClient client, PrintWriter out, PrintWriter err) {
    String id = requestId != null ? requestId : UUID.randomUUID().toString();
    RequestOptions opts = RequestOptions.defaults().withRequestId(id);
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
