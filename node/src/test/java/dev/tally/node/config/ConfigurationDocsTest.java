package dev.tally.node.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md documents every setting with its flag, variable and default. */
class ConfigurationDocsTest {

  @Test
  void configurationDoc_hasARowForEverySetting() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"));

    for (ConfigKey key : ConfigKey.values()) {
      String row = doc.lines().filter(l -> l.startsWith("| `" + key.key() + "` |")).findFirst().orElse("");
      assertThat(row).as("row for %s", key.key())
          .contains("`" + key.flag() + "`", "`" + key.envName() + "`")
          .containsAnyOf("`" + key.defaultText() + "`", key.defaultText());
    }
    for (String tooling : ConfigLoader.TOOLING_ENV) {
      assertThat(doc).contains("`" + tooling + "`");
    }
  }
}
