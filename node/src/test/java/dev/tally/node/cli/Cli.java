package dev.tally.node.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the {@code tally} command line in-process, with stdout and stderr captured. */
final class Cli {

  /** What a run printed and returned. */
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private Cli() {}

  /** {@code tally args...} through the real command tree ({@link TallyCommand#commandLine()}). */
  static Result run(String... args) {
    return run(TallyCommand.commandLine(), args);
  }

  /** {@code args} through {@code cl} (a command built with test settings). */
  static Result run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
