package dev.tally.node.cli;

import dev.tally.client.CounterValue;
import dev.tally.client.RequestOptions;
import dev.tally.client.TallyClient;
import picocli.CommandLine.Command;

/** {@code tally decr KEY [AMOUNT]}. */
@Command(
    name = "decr",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    sortOptions = false,
    description = {
        "Subtracts from a counter and prints its new value.",
        "Values may go negative.",
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
        "  tally decr stock:sku-7                   # -1, on the local cluster",
        "  tally decr stock:sku-7 3 --target 10.0.0.5:7400",
        "  tally decr stock:sku-7 3 --json",
        "  tally decr stock:sku-7 3 --request-id ID --prior-nodes n1,n2   # retry after 'outcome unknown'"})
public final class DecrCommand extends WriteCommand {

  /** The command as {@code tally} runs it: the default target comes from the environment. */
  public DecrCommand() {
    this(TargetResolver.system());
  }

  DecrCommand(TargetResolver targets) {
    super(targets);
  }

  @Override
  CounterValue write(TallyClient client, String key, long amount, RequestOptions options) {
    return client.decrement(key, amount, options);
  }

  @Override
  String opposite() {
    return "incr";
  }
}
