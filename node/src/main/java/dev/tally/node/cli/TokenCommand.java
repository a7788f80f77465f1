package dev.tally.node.cli;

import dev.tally.node.auth.Role;
import dev.tally.node.auth.TokenFile;
import dev.tally.node.auth.Tokens;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code tally token create}: a fresh client token and the auth-tokens entry that accepts it. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    description = {"Creates client tokens for a node's auth-tokens file.", ""},
    synopsisSubcommandLabel = "COMMAND")
public final class TokenCommand implements Runnable {
  @Spec
  CommandSpec spec;

  /** {@code token} with its {@code create} subcommand. */
  public static CommandLine commandLine() {
    return new CommandLine(new TokenCommand()).addSubcommand(new Create());
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'tally token create --help'");
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      versionProvider = TallyCommand.Version.class,
      sortOptions = false,
      description = {
          "Prints a new random token (256 bits from SecureRandom) on the first line of stdout, then the",
          "auth-tokens entry that accepts it (its SHA-256, never the token). Give the token to the client",
          "(as TALLY_TOKEN) and append the entry to every node's auth-tokens file; the nodes reload it.",
          "Nothing is stored or logged: a lost token is replaced by creating a new one.",
          ""},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:success", "2:usage error (a wrong name, role or prefix)"},
      footerHeading = "%nExamples:%n",
      footer = {
          "  tally token create --name web --role read --role write --prefix likes:",
          "  tally token create --name ops --role admin | tail -n +2 >> /etc/tally/tokens.yaml"})
  static final class Create implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--name", required = true, paramLabel = "NAME", order = 1,
        description = "The principal's name (logs, metrics, refusals): 1..64 letters, digits, '.', '_' or '-'.")
    String name;

    @Option(names = "--role", required = true, paramLabel = "read|write|admin", order = 2,
        converter = RoleConverter.class,
        description = "A role of the token; repeat for several. read: Get, GetMany, Watch; write: Increment, "
            + "Decrement, IncrementMany; admin: ClusterStatus, Export, reflection, /metrics.")
    List<Role> roles = new ArrayList<>();

    @Option(names = "--prefix", paramLabel = "PREFIX", order = 3,
        description = "A key prefix the token may touch; repeat for several. Default: every key.")
    List<String> prefixes = new ArrayList<>();

    @Override
    public Integer call() {
      if (!TokenFile.validName(name)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--name '" + name
            + "' is invalid: use 1..64 letters, digits, '.', '_' or '-', starting with a letter or digit");
      }
      for (String p : prefixes) {
        if (p.isEmpty()) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--prefix must not be empty");
        }
      }
      String token = Tokens.create();
      PrintWriter out = spec.commandLine().getOut();
      out.println(token);
      out.print(Tokens.entry(name, token, EnumSet.copyOf(roles), prefixes));
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      err.println("The first line is the token for '" + name + "': give it to the client (TALLY_TOKEN) and keep it"
          + " secret; it is shown only now. Append the rest to the auth-tokens file of every node.");
      err.flush();
      return ExitCodes.OK;
    }
  }

  /** {@code read}, {@code write} or {@code admin}, any case. */
  static final class RoleConverter implements ITypeConverter<Role> {
    @Override
    public Role convert(String value) {
      return Role.parse(value).orElseThrow(() ->
          new TypeConversionException("'" + value + "' is not a role; use read, write or admin"));
    }
  }
}
