package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void object_escapesQuotesBackslashesAndControlCharacters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", "a\"b\\c\nd\te\u0001é");

    assertThat(Json.object(m)).isEqualTo("{\"key\":\"a\\\"b\\\\c\\nd\\te\\u0001é\"}");
  }

  @Test
  void object_writesNumbersBooleansNullsAndNestedValuesInOrder() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("n", Long.MIN_VALUE);
    inner.put("ok", true);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("z", null);
    m.put("list", List.of(inner, "s"));

    assertThat(Json.object(m)).isEqualTo("{\"z\":null,\"list\":[{\"n\":-9223372036854775808,\"ok\":true},\"s\"]}");
  }
}
