package dev.tally.node.cli;

import dev.tally.client.CounterValue;
import dev.tally.client.RequestOptions;
import dev.tally.client.TallyClient;
import picocli.CommandLine.Command;

/** {@code tally incr KEY [AMOUNT]}. */
@Command(
    name = "incr",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    sortOptions = false,
    description = {
        "Adds to a counter and prints its new value, once the write is durable.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:success",
        "1:the call failed; stderr says why",
        "2:usage error (a wrong flag, a missing argument)",
        "3:write outcome unknown: it may or may not have been applied; rerun with the "
            + "--request-id (and --prior-nodes) printed on stderr to retry safely",
        "4:not authenticated: the node needs a token (TALLY_TOKEN) and got none or an unknown one",
        "5:permission denied: the token lacks the role, or a key is outside its prefixes"},
    footerHeading = "%nExamples:%n",
    footer = {
        "  tally incr likes:post-1                  # +1, on the local cluster",
        "  tally incr views 10 --target 10.0.0.5:7400",
        "  tally incr views 10 --target 10.0.0.5:7400,10.0.0.6:7400",
        "  tally incr likes:post-1 --consistency quorum --json",
        "  tally incr views 10 --request-id ID      # retry after 'outcome unknown'",
        "  tally incr views 10 --target 10.0.0.6:7400 --request-id ID --prior-nodes n1",
        "                                           # the same, by hand on another node"})
public final class IncrCommand extends WriteCommand {

  /** The command as {@code tally} runs it: the default target comes from the environment. */
  public IncrCommand() {
    this(TargetResolver.system());
  }

  IncrCommand(TargetResolver targets) {
    super(targets);
  }

  @Override
  CounterValue write(TallyClient client, String key, long amount, RequestOptions options) {
    return client.increment(key, amount, options);
  }

  @Override
  String opposite() {
    return "decr";
  }
}
