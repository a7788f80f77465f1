package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.CounterValue;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code --json} lines of get, incr, decr and watch: exact int64 numbers, escaped keys. */
class CounterOutputTest {

  private static String print(boolean json, CounterValue value, String requestId) {
    StringWriter text = new StringWriter();
    new CounterOutput(new PrintWriter(text), json, List.of(value.key())).print(value, requestId);
    return text.toString();
  }

  @Test
  void json_int64ExtremesStayExactNumbers() {
    assertThat(print(true, new CounterValue("k", Long.MIN_VALUE, null), null))
        .isEqualTo("{\"key\":\"k\",\"value\":-9223372036854775808,\"updated_at\":null}\n");
    assertThat(print(true, new CounterValue("k", Long.MAX_VALUE, Instant.parse("2026-12-07T16:00:00.125Z")), "r-1"))
        .isEqualTo("{\"key\":\"k\",\"value\":9223372036854775807,\"updated_at\":\"2026-12-07T16:00:00.125Z\","
            + "\"request_id\":\"r-1\"}\n");
  }

  @Test
  void json_escapesQuotesBackslashesAndControlCharactersInKeys() {
    assertThat(print(true, new CounterValue("a\"b\\c\nd\u0001é", 1, null), null))
        .isEqualTo("{\"key\":\"a\\\"b\\\\c\\nd\\u0001é\",\"value\":1,\"updated_at\":null}\n");
  }

  @Test
  void text_alignsValuesAfterTheKey() {
    assertThat(print(false, new CounterValue("likes", 42, null), null)).isEqualTo("likes  42\n");
  }
}
