package dev.tally.node.tls;

/** A TLS file cannot be read or does not hold what it should; the message names the file and why. */
public final class TlsFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TlsFileException(String message) {
    super(message);
  }

  public TlsFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
