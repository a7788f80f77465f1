package dev.tally.node.cli;

import java.io.PrintWriter;

/**
 * A progress line on stderr for the long commands (export, import): redrawn in place ({@code \r})
 * at most every 200 ms when stderr is a terminal, else a plain line at most every 10 s, so a log
 * file gets a few lines rather than a wall of carriage returns.
 *
 * <p>Threads: the command's thread only.
 */
final class StderrProgress {
  private static final long TERMINAL_EVERY_NANOS = 200_000_000L;
  private static final long LOG_EVERY_NANOS = 10_000_000_000L;

  private final PrintWriter err;
  private final boolean terminal;
  private long lastShown = System.nanoTime();
  private int drawnWidth;

  StderrProgress(PrintWriter err) {
    this(err, System.console() != null);
  }

  StderrProgress(PrintWriter err, boolean terminal) {
    this.err = err;
    this.terminal = terminal;
  }

  boolean terminal() {
    return terminal;
  }

  /** Shows {@code text} if the last line is old enough. */
  void show(String text) {
    long now = System.nanoTime();
    if (now - lastShown < (terminal ? TERMINAL_EVERY_NANOS : LOG_EVERY_NANOS)) {
      return;
    }
    lastShown = now;
    if (terminal) {
      err.print("\r" + text + " ".repeat(Math.max(0, drawnWidth - text.length())));
      drawnWidth = text.length();
    } else {
      err.println(text);
    }
    err.flush();
  }

  /** Ends an in-place line so that the next output starts on its own line. */
  void done() {
    if (terminal && drawnWidth > 0) {
      err.print("\r" + " ".repeat(drawnWidth) + "\r");
      err.flush();
      drawnWidth = 0;
    }
  }

  /** A bar of {@code width} cells for {@code done} of {@code total} (total 0: unknown). */
  static String bar(long done, long total, int width) {
    if (total <= 0) {
      return "";
    }
    int filled = (int) Math.min(width, done * width / total);
    return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
        + Math.min(100, done * 100 / total) + "% ";
  }
}
