package dev.tally.node.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void writeThenParse_roundTrips() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("text", "a \"quoted\" line\nwith \\ and \t and \u0001");
    m.put("whole", 42L);
    m.put("fraction", 1.25);
    m.put("flag", true);
    m.put("nothing", null);
    m.put("list", List.of(1, "two", Map.of("three", 3)));

    Object back = Json.parse(Json.write(m));

    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("text", m.get("text"));
    expected.put("whole", 42.0);
    expected.put("fraction", 1.25);
    expected.put("flag", true);
    expected.put("nothing", null);
    expected.put("list", List.of(1.0, "two", Map.of("three", 3.0)));
    assertThat(back).isEqualTo(expected);
  }

  @Test
  void write_nonFiniteNumbersAsNull() {
    assertThat(Json.write(Map.of("x", Double.NaN))).isEqualTo("{\"x\":null}");
  }

  @Test
  void parse_refusesWhatIsNotJson() {
    assertThatThrownBy(() -> Json.parse("{\"a\": }")).hasMessageContaining("offset");
    assertThatThrownBy(() -> Json.parse("[1, 2] x")).hasMessageContaining("trailing");
    assertThatThrownBy(() -> Json.parse("\"open")).hasMessageContaining("unterminated");
  }

  @Test
  void write_escapesQuotesBackslashesAndControlCharacters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", "a\"b\\c\nd\te\u0001é");

    assertThat(Json.write(m))
        .isEqualTo("{\"key\":\"a\\\"b\\\\c\\nd\\te\\u0001é\"}");
  }

  @Test
  void write_longsBooleansNullsAndNestedValuesInOrder() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("n", Long.MIN_VALUE);
    inner.put("ok", true);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("z", null);
    m.put("list", List.of(inner, "s"));

    assertThat(Json.write(m))
        .isEqualTo("{\"z\":null,\"list\":[{\"n\":-9223372036854775808,\"ok\":true},\"s\"]}");
  }
}
