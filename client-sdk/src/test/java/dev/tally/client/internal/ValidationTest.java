package dev.tally.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ValidationTest {

  @Test
  void utf8Length_matchesTheJdkEncoder_forValidStrings() {
    long seed = Long.getLong("tally.test.seed", System.nanoTime());
    System.out.println("ValidationTest seed=" + seed + " (replay: -Dtally.test.seed=" + seed + ")");
    Random random = new Random(seed);
    for (int i = 0; i < 2000; i++) {
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(20);
      for (int j = 0; j < n; j++) {
        int cp;
        do {
          cp = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(0x80);
            case 1 -> 0x80 + random.nextInt(0x800 - 0x80);
            case 2 -> 0x800 + random.nextInt(0x10000 - 0x800);
            default -> 0x10000 + random.nextInt(0x110000 - 0x10000);
          };
        } while (cp >= 0xD800 && cp <= 0xDFFF);
        sb.appendCodePoint(cp);
      }
      String s = sb.toString();
      assertThat(Validation.utf8Length(s)).as("seed %d: %s", seed, s)
          .isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void utf8Length_reportsTheFirstUnpairedSurrogate() {
    assertThat(Validation.utf8Length("a\uD800")).isEqualTo(-1 - 1);
    assertThat(Validation.utf8Length("\uDC00b")).isEqualTo(-1);
    assertThat(Validation.utf8Length("x\uD83D\uDE00\uDE00")).isEqualTo(-1 - 3);
    assertThat(Validation.utf8Length("\uD83D\uDE00")).isEqualTo(4);
  }
}
