package dev.tally.client.internal;

import dev.tally.client.CounterOverflowException;
import dev.tally.client.FailedPreconditionException;
import dev.tally.client.InvalidArgumentException;
import dev.tally.client.PermissionDeniedException;
import dev.tally.client.UnauthenticatedException;
import dev.tally.client.TallyException;
import dev.tally.client.UnavailableException;
import io.grpc.Status;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Which failures are retried, which prove a write was not applied, and their exceptions. */
final class Failures {

  /** How a node's ABORTED names the node handling a request id ("... is being handled by n2"). */
  private static final Pattern HANDLER = Pattern.compile("being handled by ([^\\s;,()]+)");

  private Failures() {}

  /**
   * The node named as the handler of the request id in an {@code ABORTED} answer ("request id r
   * is being handled by n2"), or null when the description names none.
   */
  static String handlerNamed(Status status) {
    String d = status.getDescription();
    if (d == null) {
      return null;
    }
    Matcher m = HANDLER.matcher(d);
    if (!m.find()) {
      return null;
    }
    String name = m.group(1);
    while (name.endsWith(".") || name.endsWith(":")) {
      name = name.substring(0, name.length() - 1);
    }
    return name.isEmpty() ? null : name;
  }

  /**
   * Failures worth another attempt, possibly elsewhere: the node or the path to it is down or
   * overloaded, or one attempt ran out of time. Everything else is a definite answer.
   */
  static boolean isTransient(Status.Code code) {
    return code == Status.Code.UNAVAILABLE
        || code == Status.Code.DEADLINE_EXCEEDED
        || code == Status.Code.RESOURCE_EXHAUSTED;
  }

  /**
   * Codes that, when the node itself sent them, mean it applied nothing: input and state checks
   * happen before a write, and load shedding ({@code RESOURCE_EXHAUSTED}) refuses the request
   * before looking at it (see counter.proto). {@code UNAVAILABLE} and {@code DEADLINE_EXCEEDED}
   * from a node are not among them: a quorum write that timed out was still applied locally.
   */
  static boolean nodeAppliedNothing(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNIMPLEMENTED,
          UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, ALREADY_EXISTS -> true;
      default -> false;
    };
  }

  /** The exception for a definite (non-transient) failure. */
  static TallyException definite(Status status, String endpoint, int attempts) {
    String description = describe(status);
    Throwable cause = status.getCause();
    return switch (status.getCode()) {
      case INVALID_ARGUMENT -> new InvalidArgumentException(description, endpoint, attempts, cause);
      case OUT_OF_RANGE -> new CounterOverflowException(description, endpoint, attempts, cause);
      case FAILED_PRECONDITION ->
          new FailedPreconditionException(description, endpoint, attempts, cause);
      case UNAUTHENTICATED -> new UnauthenticatedException(description, endpoint, attempts, cause);
      case PERMISSION_DENIED -> new PermissionDeniedException(description, endpoint, attempts, cause);
      default -> new TallyException(status.getCode(), description, endpoint, attempts, cause);
    };
  }

  /** The exception for a transient failure after the last attempt. */
  static UnavailableException unavailable(
      Status status, String endpoint, int attempts, boolean budgetExhausted) {
    return new UnavailableException(
        status.getCode(), describe(status), endpoint, attempts, budgetExhausted, status.getCause());
  }

  /** The status's description, with its cause's message when gRPC's own words are vague. */
  static String describe(Status status) {
    String d = status.getDescription();
    Throwable cause = status.getCause();
    String why = cause == null ? null : (cause.getMessage() != null ? cause.getMessage() : cause.toString());
    if (d == null || d.isEmpty()) {
      return why == null ? "" : why;
    }
    return why == null || d.contains(why) ? d : d + ": " + why;
  }

  /** The tag value for the outcome of a call in metrics. */
  static String outcome(Throwable error) {
    if (error == null) {
      return "success";
    }
    if (error instanceof dev.tally.client.WriteOutcomeUnknownException) {
      return "outcome_unknown";
    }
    if (error instanceof TallyException t) {
      return t.code().name().toLowerCase(java.util.Locale.ROOT);
    }
    return "error";
  }
}
