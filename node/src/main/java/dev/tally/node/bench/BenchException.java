package dev.tally.node.bench;

/** A benchmark that cannot run or finish (target unreachable, prefill failed); the message says why. */
public final class BenchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BenchException(String message) {
    super(message);
  }

  public BenchException(String message, Throwable cause) {
    super(message, cause);
  }
}
