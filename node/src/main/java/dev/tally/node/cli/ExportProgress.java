package dev.tally.node.cli;

import java.io.PrintWriter;

/** {@code tally export}'s progress: counters written so far, and their rate. */
final class ExportProgress {
  private final StderrProgress line;
  private final long started = System.nanoTime();

  ExportProgress(PrintWriter err) {
    this.line = new StderrProgress(err);
  }

  void update(long written) {
    if ((written & 0xFF) != 0) {
      return;
    }
    double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
    line.show(String.format(java.util.Locale.ROOT, "exporting: %,d counters (%,.0f/s)", written, written / seconds));
  }

  /** Before another line is printed mid-export. */
  void interrupt() {
    line.done();
  }

  void done() {
    line.done();
  }
}
