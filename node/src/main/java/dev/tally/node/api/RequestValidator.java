package dev.tally.node.api;

import com.google.protobuf.ByteString;
import dev.tally.api.v1.Consistency;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Checks client input before anything is queued or read. Every failure is INVALID_ARGUMENT with a
 * message naming the field (with its index inside a batch, {@code items[17].key}) and the limit,
 * and nothing has been changed when it is thrown.
 */
final class RequestValidator {
  private RequestValidator() {}

  static void key(String field, ByteString utf8) {
    if (utf8.isEmpty()) {
      throw invalid(field + " is empty; a key is 1.." + Limits.MAX_KEY_BYTES + " bytes of UTF-8");
    }
    if (utf8.size() > Limits.MAX_KEY_BYTES) {
      throw invalid(field + " is " + utf8.size() + " bytes; the limit is " + Limits.MAX_KEY_BYTES + " bytes of UTF-8");
    }
  }

  /** A single Increment/Decrement amount: absent means 1, given must be >= 1. */
  static long amount(boolean present, long amount) {
    if (!present) {
      return 1;
    }
    if (amount < 1) {
      throw invalid("amount must be >= 1 when given (absent means 1), got " + amount);
    }
    return amount;
  }

  /** An IncrementMany item amount: absent means +1, given must not be 0 (negative decrements). */
  static long itemAmount(int index, boolean present, long amount) {
    if (!present) {
      return 1;
    }
    if (amount == 0) {
      throw invalid("items[" + index + "].amount must not be 0 (absent means +1; a negative amount decrements)");
    }
    return amount;
  }

  static String requestId(ByteString utf8, String text) {
    if (utf8.size() > Limits.MAX_REQUEST_ID_BYTES) {
      throw invalid("request_id is " + utf8.size() + " bytes; the limit is " + Limits.MAX_REQUEST_ID_BYTES + " bytes");
    }
    return text;
  }

  static void batchSize(String field, int size, String rpc) {
    if (size == 0) {
      throw invalid(field + " is empty; " + rpc + " needs 1.." + Limits.MAX_BATCH + " " + field);
    }
    if (size > Limits.MAX_BATCH) {
      throw invalid(field + " has " + size + " entries; the limit is " + Limits.MAX_BATCH);
    }
  }

  /** LOCAL, QUORUM or unset (LOCAL); any other number is refused. */
  static void consistency(Consistency consistency, int rawValue) {
    if (consistency == Consistency.UNRECOGNIZED) {
      throw invalid("consistency has unknown value " + rawValue
          + "; use CONSISTENCY_LOCAL (1), CONSISTENCY_QUORUM (2) or leave it unset");
    }
  }

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
