package dev.tally.node.cli;

import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code tally} command line: the main class of {@code tally.jar}, run by {@code bin/tally}. */
@Command(
    name = "tally",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    description = {
        "Tally: a leaderless, replicated counter cluster with exact counts.",
        "Run 'tally COMMAND --help' for a command's options."
    },
    synopsisSubcommandLabel = "COMMAND")
public final class TallyCommand implements Runnable {

  /** The subcommands, one per line: each supplies a picocli command object or a CommandLine. */
  static final List<Supplier<Object>> SUBCOMMANDS = List.of(
      UpCommand::new,
      NodeCommand::commandLine,
      IncrCommand::new,
      DecrCommand::new,
      GetCommand::new,
      WatchCommand::new,
      StatusCommand::new,
      TokenCommand::commandLine,
      dev.tally.node.bench.BenchCommand::new,
      CertsCommand::new,
      ExportCommand::new,
      ImportCommand::commandLine);

  @Spec
  CommandSpec spec;

  /** The whole command tree. */
  public static CommandLine commandLine() {
    CommandLine root = new CommandLine(new TallyCommand());
    for (Supplier<Object> sub : SUBCOMMANDS) {
      root.addSubcommand(sub.get());
    }
    CliErrors.install(root);
    return root;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  /** The version from the jar manifest (set by the build). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = TallyCommand.class.getPackage().getImplementationVersion();
      return new String[] {"tally " + (v == null ? "(development build)" : v)};
    }
  }
}
