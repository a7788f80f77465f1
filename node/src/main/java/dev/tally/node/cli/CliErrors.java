package dev.tally.node.cli;

import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Short errors for the whole command line: a usage mistake prints what is wrong and where to find
 * the usage (not the whole usage), and an unexpected exception prints one line, not a stack trace
 * (which the log has at DEBUG).
 */
final class CliErrors {
  private static final Logger log = LoggerFactory.getLogger(CliErrors.class);

  private CliErrors() {}

  /** Installs both handlers on {@code root} and every subcommand it has: call it after adding them. */
  static void install(CommandLine root) {
    root.setParameterExceptionHandler(new ShortUsageError());
    root.setExecutionExceptionHandler(new OneLineFailure());
  }

  /** {@code tally incr: Unknown option: '--frob'} and a pointer to {@code --help}; exit code 2. */
  static final class ShortUsageError implements IParameterExceptionHandler {
    @Override
    public int handleParseException(ParameterException ex, String[] args) {
      CommandLine cmd = ex.getCommandLine();
      PrintWriter err = cmd.getErr();
      String name = cmd.getCommandSpec().qualifiedName();
      err.println(name + ": " + ex.getMessage());
      UnmatchedArgumentException.printSuggestions(ex, err);
      err.println("Try '" + name + " --help' for usage.");
      err.flush();
      return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }
  }

  /** One line on stderr for a failure no command expected; exit code 1. */
  static final class OneLineFailure implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
      log.debug("{} failed", cmd.getCommandSpec().qualifiedName(), ex);
      PrintWriter err = cmd.getErr();
      err.println("error: " + cmd.getCommandSpec().qualifiedName() + " failed unexpectedly: " + ex
          + " (TALLY_JAVA_OPTS=-Dtally.log.level=DEBUG logs the stack trace)");
      err.flush();
      return ExitCodes.CALL_FAILED;
    }
  }
}
