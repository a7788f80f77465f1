package dev.tally.node.auth;

/** The token file cannot be used; the message names the file, the entry and the field. */
public final class TokenFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TokenFileException(String message) {
    super(message);
  }

  public TokenFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
