package dev.tally.node.cli;

/**
 * Exit codes of the client commands ({@code incr}, {@code decr}, {@code get}, {@code watch},
 * {@code status}, {@code export}, {@code import}; for the last two 1 also means some keys failed); docs/cli.md and each command's help list them for users.
 */
final class ExitCodes {
  /** The call succeeded (for {@code watch}: it was stopped). */
  static final int OK = 0;
  /** The call failed; stderr says why in one line (the node's message where there is one). */
  static final int CALL_FAILED = 1;
  /** The command line was wrong (picocli's code for invalid input). */
  static final int USAGE = 2;
  /**
   * A write may or may not have been applied (its answer was lost or came too late); stderr gives
   * the request id to retry it safely with {@code --request-id}.
   */
  static final int WRITE_OUTCOME_UNKNOWN = 3;
  /** The node requires a token and got none, or one it does not know (UNAUTHENTICATED); nothing applied. */
  static final int UNAUTHENTICATED = 4;
  /** The token lacks the role, or a key is outside its prefixes (PERMISSION_DENIED); nothing applied. */
  static final int PERMISSION_DENIED = 5;

  /** {@code import jsonl}: the input file is not valid JSON Lines (stderr names the lines); nothing imported. */
  static final int INPUT_INVALID = 6;

  private ExitCodes() {}
}
