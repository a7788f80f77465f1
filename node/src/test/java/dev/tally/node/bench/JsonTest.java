package dev.tally.node.bench;

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
}
