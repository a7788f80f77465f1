package dev.tally.node.cli;

import dev.tally.node.migrate.CounterRecord;
import dev.tally.node.migrate.Importer;
import dev.tally.node.migrate.JsonLinesReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tally import jsonl --in FILE}: the file is checked whole first (a bad line imports
 * nothing), then imported with {@link Importer}.
 */
@Command(
    name = "jsonl",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    sortOptions = false,
    description = {
        "Imports the JSON Lines of 'tally export': each line {\"key\":K,\"value\":V} (updated_at is ignored) "
            + "sets counter K to V. The whole file is checked first: one bad line and nothing is imported.",
        "Reads each key with QUORUM and writes the difference with QUORUM under a request id made from "
            + "(key, value, current value), so a rerun, or a retry after a crash, never counts twice. "
            + "A key listed twice ends at its last value. Needs the read and write roles with auth-tokens.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:every key was imported, unchanged or skipped",
        "1:some keys failed (stderr names them; running the import again is safe), or the source failed",
        "2:usage error (a wrong flag, a bad URL, a missing file)",
        "4:not authenticated: the node needs a token (TALLY_TOKEN) and got none or an unknown one",
        "5:permission denied: the token needs the read and write roles, and the keys inside its prefixes",
        "6:(jsonl) the file is not valid JSON Lines; nothing was imported"},
    footerHeading = "%nExamples:%n",
    footer = {
        "  tally import jsonl --in counters.jsonl --dry-run",
        "  tally import jsonl --in counters.jsonl --target 10.0.1.5:7400"})
public final class ImportJsonlCommand extends ImportCommand.Base {
  /** Bad lines named before giving up. */
  static final int SHOWN_ERRORS = 5;

  @Option(names = "--in", paramLabel = "FILE", required = true, order = 1,
      description = "The JSON Lines file (as written by 'tally export').")
  Path in;

  private long lines;

  public ImportJsonlCommand() {
    this(TargetResolver.system());
  }

  ImportJsonlCommand(TargetResolver targets) {
    super(targets);
  }

  @Override
  String sourceName() {
    return in.toString();
  }

  @Override
  long expected() {
    return lines;
  }

  @Override
  Integer importInto(Importer importer, StderrProgress progress, PrintWriter err) {
    if (!Files.isRegularFile(in) || !Files.isReadable(in)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--in " + in + " is not a readable file");
    }
    List<String> errors = new ArrayList<>();
    long bad = 0;
    try (JsonLinesReader reader = JsonLinesReader.open(in)) {
      while (true) {
        try {
          if (reader.next() == null) {
            break;
          }
          lines++;
        } catch (JsonLinesReader.InvalidLineException e) {
          bad++;
          if (errors.size() < SHOWN_ERRORS) {
            errors.add(e.getMessage());
          }
        }
      }
    } catch (IOException e) {
      errors.add(e.getMessage());
      bad++;
    }
    if (bad > 0) {
      for (String e : errors) {
        err.println(oneLine("error: " + in + " " + e));
      }
      err.println("error: " + in + " has " + bad + (bad == 1 ? " invalid line" : " invalid lines")
          + (bad > errors.size() ? " (the first " + errors.size() + " shown)" : "")
          + "; nothing was imported. Each line is {\"key\":\"...\",\"value\":INTEGER}");
      err.flush();
      return ExitCodes.INPUT_INVALID;
    }
    try (JsonLinesReader reader = JsonLinesReader.open(in)) {
      CounterRecord r;
      while ((r = reader.next()) != null) {
        importer.add(r.key(), r.value());
      }
    } catch (IOException | JsonLinesReader.InvalidLineException e) {
      // Checked a moment ago: the file changed under the import.
      err.println(oneLine("error: " + in + " changed while it was imported: " + e.getMessage()
          + "; what was imported so far is correct, run the import again"));
      err.flush();
      return ExitCodes.CALL_FAILED;
    }
    return null;
  }
}
