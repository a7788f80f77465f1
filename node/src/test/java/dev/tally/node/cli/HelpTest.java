package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The help a new user reads first. */
class HelpTest {

  @Test
  void tallyHelp_listsTheClientCommandsInOrderWithOneLineEach() {
    Cli.Result r = Cli.run("--help");

    assertThat(r.exitCode()).isZero();
    List<String> order = List.of("  node ", "  incr ", "  decr ", "  get ", "  watch ", "  status ");
    int last = -1;
    for (String command : order) {
      int at = r.out().indexOf(command);
      assertThat(at).as("%s listed after the previous command in:%n%s", command, r.out()).isGreaterThan(last);
      last = at;
    }
    assertThat(r.out()).contains(
        "  incr    Adds to a counter and prints its new value, once the write is durable.\n",
        "  get     Reads counters and prints each key with its value, in the order given.\n",
        "  status  Shows the cluster's members as one node sees them.\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"incr", "decr", "get", "watch", "status"})
  void commandHelp_showsTheSharedOptionsExitCodesAndExamples(String command) {
    Cli.Result r = Cli.run(command, "--help");

    assertThat(r.exitCode()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).startsWith("Usage: tally " + command)
        .contains("--target=HOST:PORT[,HOST:PORT...]", "$TALLY_HOME/local/endpoints", "--timeout=DURATION", "--json",
            "Exit codes:", "Examples:", "  tally " + command)
        .containsPattern("\n  1 +\\S")
        .containsPattern("\n  2 +usage error");
    assertThat(r.out()).containsPattern(command.equals("watch") ? "\n  130 +stopped with Ctrl-C" : "\n  0 +success");
  }

  @ParameterizedTest
  @ValueSource(strings = {"incr", "decr", "get", "watch", "status"})
  void commandVersion_printsTheVersion(String command) {
    Cli.Result r = Cli.run(command, "--version");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).startsWith("tally ");
  }

  @Test
  void incrHelp_documentsTheExamplesOfTheBriefAndTheOutcomeUnknownExitCode() {
    Cli.Result r = Cli.run("incr", "--help");

    assertThat(r.out()).contains("tally incr likes:post-1", "tally incr views 10 --target 10.0.0.5:7400",
        "--consistency=local|quorum", "--request-id=ID", "  3   write outcome unknown");
  }

  @Test
  void unknownCommand_isAShortUsageError() {
    Cli.Result r = Cli.run("inc", "likes");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("tally: Unmatched arguments from index 0: 'inc', 'likes'")
        .contains("Did you mean: tally incr")
        .endsWith("Try 'tally --help' for usage.\n")
        .doesNotContain("Usage:");
  }
}
