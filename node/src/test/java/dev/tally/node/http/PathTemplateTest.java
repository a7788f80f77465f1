package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PathTemplateTest {
  @Test
  void variablesAndVerbs_matchRawSegments() {
    PathTemplate t = PathTemplate.parse("/v1/counters/{key}:increment");
    assertThat(t.verb()).isEqualTo("increment");
    assertThat(t.match("/v1/counters/a%2Fb:increment")).contains(Map.of("key", "a%2Fb"));
    assertThat(t.match("/v1/counters/a:b:increment")).contains(Map.of("key", "a:b"));
    assertThat(t.match("/v1/counters/a/b:increment")).isEmpty();
    assertThat(t.match("/v1/counters/a")).isEmpty();
    PathTemplate literalVerb = PathTemplate.parse("/v1/counters:batchGet");
    assertThat(literalVerb.match("/v1/counters:batchGet")).contains(Map.of());
    assertThat(literalVerb.match("/v1/counters/x:batchGet")).isEmpty();
    PathTemplate rest = PathTemplate.parse("/v1/{name=**}");
    assertThat(rest.match("/v1/a/b/c")).contains(Map.of("name", "a/b/c"));
    assertThat(PathTemplate.parse("/v1/counters/{key}").match("/v1/counters/x:increment")).contains(Map.of("key", "x:increment"));
  }

  @Test
  void unsupportedShapes_areRefusedAtStartUp() {
    assertThatThrownBy(() -> PathTemplate.parse("v1/x")).hasMessageContaining("must start with '/'");
    assertThatThrownBy(() -> PathTemplate.parse("/v1/{a=**}/b")).hasMessageContaining("last segment");
    assertThatThrownBy(() -> PathTemplate.parse("/v1/{a=x/*}")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathTemplate.parse("/v1//x")).hasMessageContaining("empty segment");
  }

  @Test
  void percentDecoding_isStrict() {
    assertThat(PercentDecoding.decode("a%20b+c", false)).isEqualTo("a b+c");
    assertThat(PercentDecoding.decode("a%20b+c", true)).isEqualTo("a b c");
    assertThat(PercentDecoding.decode("%F0%9F%91%8D", false)).isEqualTo("👍");
    assertThatThrownBy(() -> PercentDecoding.decode("%zz", false)).hasMessageContaining("percent-encoding");
    assertThatThrownBy(() -> PercentDecoding.decode("%2", false)).hasMessageContaining("percent-encoding");
    assertThatThrownBy(() -> PercentDecoding.decode("%C3%28", false)).hasMessageContaining("UTF-8");
    assertThatThrownBy(() -> PercentDecoding.decode("%ED%A0%80", false)).hasMessageContaining("UTF-8");
  }
}
