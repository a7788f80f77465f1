package dev.tally.node.cli;

import dev.tally.client.CounterValue;
import dev.tally.client.RequestOptions;
import dev.tally.client.TallyClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code tally get KEY...}. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    sortOptions = false,
    description = {
        "Reads counters and prints each key with its value, in the order given.",
        "A key never written reads as 0.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:success",
        "1:the call failed; stderr says why",
        "2:usage error (a wrong flag, a missing argument)",
        "4:not authenticated: the node needs a token (TALLY_TOKEN) and got none or an unknown one",
        "5:permission denied: the token lacks the role, or a key is outside its prefixes"},
    footerHeading = "%nExamples:%n",
    footer = {
        "  tally get likes:post-1",
        "  tally get likes:post-1 views:post-1 --consistency quorum",
        "  tally get views --target 10.0.0.5:7400 --json",
        "  tally get -- -odd-key                    # a key that starts with '-'"})
public final class GetCommand extends ClientCommand {

  /** Most keys in one GetMany call (the node's batch limit). */
  static final int BATCH = 1000;

  @Parameters(paramLabel = "KEY", arity = "1..*", description = "Keys to read (1..4096 bytes of UTF-8 each).")
  List<String> keys;

  @Mixin
  ClientOptions.ConsistencyOption consistency;

  /** The command as {@code tally} runs it: the default target comes from the environment. */
  public GetCommand() {
    this(TargetResolver.system());
  }

  GetCommand(TargetResolver targets) {
    super(targets);
  }

  @Override
  int run(TallyClient client, PrintWriter out, PrintWriter err) {
    RequestOptions opts = consistency.consistency == null
        ? RequestOptions.defaults()
        : RequestOptions.consistency(consistency.consistency);
    List<CounterValue> values;
    if (keys.size() == 1) {
      values = List.of(client.get(keys.get(0), opts));
    } else {
      // Read everything before printing anything, so a failure prints no partial answer.
      values = new ArrayList<>(keys.size());
      for (int from = 0; from < keys.size(); from += BATCH) {
        values.addAll(client.getMany(keys.subList(from, Math.min(keys.size(), from + BATCH)), opts));
      }
    }
    CounterOutput output = new CounterOutput(out, options.json, keys);
    values.forEach(output::print);
    return ExitCodes.OK;
  }
}
