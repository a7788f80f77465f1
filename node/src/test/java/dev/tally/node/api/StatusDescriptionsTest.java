package dev.tally.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

class StatusDescriptionsTest {

  /** grpc-message size: printable ASCII but '%' as is, every other UTF-8 byte as %XX. */
  private static int encoded(String s) {
    int n = 0;
    for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      n += b >= 0x20 && b < 0x7f && b != '%' ? 1 : 3;
    }
    return n;
  }

  @Test
  void bounded_shortOrAtTheLimit_isUnchanged() {
    Status shortOne = Status.INVALID_ARGUMENT.withDescription("key is empty");
    Status atLimit = Status.NOT_FOUND.withDescription("a".repeat(StatusDescriptions.MAX_ENCODED_BYTES));

    assertThat(StatusDescriptions.bounded(shortOne)).isSameAs(shortOne);
    assertThat(StatusDescriptions.bounded(atLimit)).isSameAs(atLimit);
    assertThat(StatusDescriptions.bounded(Status.OK)).isSameAs(Status.OK);
  }

  @Test
  void bounded_longNonAscii_isCutToTheLimitKeepingCodeAndWholeCharacters() {
    Status long1 = Status.NOT_FOUND.withDescription("unknown service " + "é🙂".repeat(3000));

    Status cut = StatusDescriptions.bounded(long1);

    assertThat(cut.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(cut.getDescription()).startsWith("unknown service é🙂").endsWith("... (cut)");
    assertThat(encoded(cut.getDescription())).isLessThanOrEqualTo(StatusDescriptions.MAX_ENCODED_BYTES);
    String body = cut.getDescription().substring(0, cut.getDescription().length() - "... (cut)".length());
    assertThat(Character.isHighSurrogate(body.charAt(body.length() - 1))).as("no half of a surrogate pair").isFalse();
  }

  @Test
  void bounded_oneCharacterPastTheLimit_isCut() {
    Status over = Status.INVALID_ARGUMENT.withDescription("a".repeat(StatusDescriptions.MAX_ENCODED_BYTES + 1));

    assertThat(encoded(StatusDescriptions.bounded(over).getDescription()))
        .isLessThanOrEqualTo(StatusDescriptions.MAX_ENCODED_BYTES);
  }
}
