package dev.tally.client.internal;

import dev.tally.client.CounterChange;
import dev.tally.client.InvalidArgumentException;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The node's input limits, checked before anything is sent so that bad input costs no round trip
 * and, when writes are coalesced, cannot fail a neighbour's write. Messages are word for word the
 * node's (RequestValidator in the node module; SdkErrorMappingTest there compares them against a
 * real node), so a user sees the same text whichever side caught the mistake: they name the field
 * ({@code key}, {@code keys[3]}, {@code items[2].amount}) and the limit.
 */
final class Validation {

  /** Longest key, in bytes of UTF-8. */
  static final int MAX_KEY_BYTES = 4096;
  /** Most keys or items in one batch or watch. */
  static final int MAX_BATCH = 1000;

  private Validation() {}

  /** Checks one key; returns its length in bytes of UTF-8. */
  static int key(String field, String key) {
    Objects.requireNonNull(key, field);
    int bytes = utf8Length(key);
    if (bytes < 0) {
      throw invalid(field + " is not valid UTF-8: unpaired surrogate at index " + (-1 - bytes));
    }
    if (bytes == 0) {
      throw invalid(field + " is empty; a key is 1.." + MAX_KEY_BYTES + " bytes of UTF-8");
    }
    if (bytes > MAX_KEY_BYTES) {
      throw invalid(field + " is " + bytes + " bytes; the limit is " + MAX_KEY_BYTES + " bytes of UTF-8");
    }
    return bytes;
  }

  /** Checks the amount of an increment or decrement. */
  static void amount(long amount) {
    if (amount < 1) {
      throw invalid("amount must be >= 1 when given (absent means 1), got " + amount);
    }
  }

  /** Checks a batch of keys; {@code rpc} (GetMany, Watch) names the call in the message. */
  static void keys(String field, Collection<String> keys, String rpc) {
    Objects.requireNonNull(keys, field);
    batchSize(field, keys.size(), rpc);
    int i = 0;
    for (String key : keys) {
      key(field + "[" + i + "]", key);
      i++;
    }
  }

  /** Checks the items of an IncrementMany. */
  static void changes(List<CounterChange> items) {
    Objects.requireNonNull(items, "items");
    batchSize("items", items.size(), "IncrementMany");
    for (int i = 0; i < items.size(); i++) {
      CounterChange item = Objects.requireNonNull(items.get(i), "items[" + i + "]");
      key("items[" + i + "].key", item.key());
      if (item.amount() == 0) {
        throw invalid("items[" + i + "].amount must not be 0 (absent means +1; a negative amount decrements)");
      }
    }
  }

  private static void batchSize(String field, int size, String rpc) {
    if (size == 0) {
      throw invalid(field + " is empty; " + rpc + " needs 1.." + MAX_BATCH + " " + field);
    }
    if (size > MAX_BATCH) {
      throw invalid(field + " has " + size + " entries; the limit is " + MAX_BATCH);
    }
  }

  /**
   * The UTF-8 length of {@code s} without encoding it, or {@code -1 - index} of the first unpaired
   * surrogate (which UTF-8 cannot encode: the JDK would silently replace it, changing the key).
   */
  static int utf8Length(String s) {
    int bytes = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          bytes += 4;
          i++;
        } else {
          return -1 - i;
        }
      } else if (Character.isLowSurrogate(c)) {
        return -1 - i;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  static InvalidArgumentException invalid(String message) {
    return new InvalidArgumentException(message, null, 0, null);
  }
}
