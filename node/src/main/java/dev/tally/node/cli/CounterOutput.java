package dev.tally.node.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tally.client.CounterValue;
import java.io.PrintWriter;
import java.util.List;

/**
 * How counter values are printed: {@code KEY  VALUE} lines with the values aligned after the
 * widest key, or one JSON object per value ({@code key}, {@code value}, {@code updated_at}: an
 * ISO-8601 instant, null for a key never written; writes add {@code request_id}).
 */
final class CounterOutput {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintWriter out;
  private final boolean json;
  private final int keyWidth;

  /**
   * @param keys every key that will be printed, so that the values line up
   */
  CounterOutput(PrintWriter out, boolean json, List<String> keys) {
    this.out = out;
    this.json = json;
    this.keyWidth = keys.stream().mapToInt(String::length).max().orElse(0);
  }

  /** Prints one value and flushes, so that a watch shows each change at once. */
  void print(CounterValue value) {
    print(value, null);
  }

  /** Prints the value a write returned; JSON includes its request id. */
  void print(CounterValue value, String requestId) {
    if (json) {
      ObjectNode fields = JSON.createObjectNode()
          .put("key", value.key())
          .put("value", value.value())
          .put("updated_at", value.updatedAt() == null ? null : value.updatedAt().toString());
      if (requestId != null) {
        fields.put("request_id", requestId);
      }
      out.println(fields);
    } else {
      StringBuilder sb = new StringBuilder(value.key());
      sb.append(" ".repeat(Math.max(0, keyWidth - value.key().length()) + 2));
      sb.append(value.value());
      out.println(sb);
    }
    out.flush();
  }
}
