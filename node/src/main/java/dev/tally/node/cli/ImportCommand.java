package dev.tally.node.cli;

import dev.tally.client.TallyClient;
import dev.tally.node.migrate.Importer;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tally import jsonl|redis}: sets Tally counters to the values of a source, idempotently. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    description = {
        "Sets Tally counters to the values of a source, so that afterwards each counter equals the source's "
            + "value; running it again changes nothing. See docs/migration.md.",
        ""},
    synopsisSubcommandLabel = "COMMAND")
public final class ImportCommand implements Runnable {
  @Spec
  CommandSpec spec;

  /** {@code import} with its {@code jsonl} and {@code redis} subcommands. */
  public static CommandLine commandLine() {
    return new CommandLine(new ImportCommand()).addSubcommand(new ImportJsonlCommand())
        .addSubcommand(new ImportRedisCommand());
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "missing command: try 'tally import jsonl --help' or 'tally import redis --help'");
  }

  /** What both importers share: --dry-run, --batch, the progress line and the summary. */
  abstract static class Base extends ClientCommand {
    @Option(names = "--dry-run", order = 10,
        description = "Read the source and Tally and report what would change; write nothing.")
    boolean dryRun;

    @Option(names = "--batch", paramLabel = "N", order = 11, defaultValue = "500",
        converter = BatchConverter.class,
        description = "Keys per QUORUM read (GetMany) and per Redis SCAN page, 1..1000. Default: 500.")
    int batch;

    Base(TargetResolver targets) {
      super(targets);
    }

    /** What the summary line calls the source. */
    abstract String sourceName();

    /** Feeds the source into the importer; returns a non-null exit code to stop without a summary. */
    abstract Integer importInto(Importer importer, StderrProgress progress, PrintWriter err);

    /** Keys the source may hold, for the progress bar (0: unknown). */
    long expected() {
      return 0;
    }

    @Override
    final int run(TallyClient client, PrintWriter out, PrintWriter err) {
      StderrProgress line = new StderrProgress(err);
      long[] total = {0};
      Importer importer = new Importer(client, batch, dryRun, soFar -> {
        if (total[0] == 0) {
          total[0] = expected();
        }
        String bar = line.terminal() ? StderrProgress.bar(soFar.seen(), total[0], 30) : "";
        line.show(bar + "import: " + String.format(Locale.ROOT, "%,d", soFar.seen()) + " keys so far (" + counts(soFar) + ")");
      });
      Integer stop = importInto(importer, line, err);
      if (stop != null) {
        line.done();
        return stop;
      }
      Importer.Summary s = importer.finish();
      line.done();
      for (String f : s.failures()) {
        err.println(oneLine("error: " + f));
      }
      if (s.failed() > s.failures().size()) {
        err.println("error: and " + (s.failed() - s.failures().size()) + " more keys failed");
      }
      err.println(summaryLine(sourceName(), s));
      err.flush();
      if (options.json) {
        out.println(dev.tally.node.migrate.SummaryJson.of(sourceName(), s));
        out.flush();
      }
      return s.failed() > 0 ? ExitCodes.CALL_FAILED : ExitCodes.OK;
    }

    static String summaryLine(String source, Importer.Summary s) {
      return (s.dryRun() ? "dry run, nothing written: " : "") + "import from " + source + ": " + counts(s);
    }

    static String counts(Importer.Summary s) {
      String skipped = s.skipped().entrySet().stream().filter(e -> e.getValue() > 0)
          .map(e -> e.getValue() + " " + e.getKey().label()).collect(Collectors.joining(", "));
      return (s.dryRun() ? "would import " : "imported ") + s.imported() + ", unchanged " + s.unchanged()
          + ", skipped " + s.skippedTotal() + (skipped.isEmpty() ? "" : " (" + skipped + ")") + ", failed " + s.failed();
    }
  }

  /** 1..1000. */
  static final class BatchConverter implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int n;
      try {
        n = Integer.parseInt(value.strip());
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a number; --batch is 1..1000");
      }
      if (n < 1 || n > 1000) {
        throw new CommandLine.TypeConversionException(n + " is out of range; --batch is 1..1000 (a GetMany's limit)");
      }
      return n;
    }
  }

}
