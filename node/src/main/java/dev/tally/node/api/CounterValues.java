package dev.tally.node.api;

import com.google.protobuf.Timestamp;
import dev.tally.api.v1.CounterValue;
import dev.tally.gossip.crdt.CounterOverflowException;
import dev.tally.gossip.crdt.PnCounter;
import io.grpc.Status;

/** Builds the public {@link CounterValue} messages. */
final class CounterValues {
  private CounterValues() {}

  /** @param updatedAtMillis 0 leaves updated_at unset (a key never written) */
  static CounterValue of(String key, long value, long updatedAtMillis) {
    CounterValue.Builder b = CounterValue.newBuilder().setKey(key).setValue(value);
    if (updatedAtMillis != 0) {
      b.setUpdatedAt(Timestamp.newBuilder()
          .setSeconds(Math.floorDiv(updatedAtMillis, 1000))
          .setNanos(Math.floorMod(updatedAtMillis, 1000) * 1_000_000));
    }
    return b.build();
  }

  /** @throws io.grpc.StatusRuntimeException OUT_OF_RANGE when the value no longer fits in int64 */
  static CounterValue of(String key, PnCounter state) {
    try {
      return of(key, state.value(), state.updatedAtMillis());
    } catch (CounterOverflowException e) {
      throw Status.OUT_OF_RANGE.withDescription("the value of key '" + shorten(key) + "' does not fit in int64: "
          + e.getMessage()).asRuntimeException();
    }
  }

  static String shorten(String key) {
    return key.length() > 64 ? key.substring(0, 64) + "..." : key;
  }
}
