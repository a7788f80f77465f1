package dev.tally.node.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict percent-decoding of URL path segments and query values into UTF-8 text: a '%' not
 * followed by two hex digits, or bytes that are not valid UTF-8, are refused (the caller answers
 * 400 and applies nothing) rather than replaced, so two different URLs never name the same key.
 */
final class PercentDecoding {
  private PercentDecoding() {}

  /**
   * @param plusIsSpace true for query values (HTML forms and URLSearchParams write a space as '+'),
   *     false for path segments, where '+' is itself
   * @throws IllegalArgumentException saying what is wrong, without echoing the whole value
   */
  static String decode(String raw, boolean plusIsSpace) {
    if (raw.chars().allMatch(c -> c < 0x80 && c != '%' && !(plusIsSpace && c == '+'))) {
      return raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length() || hex(raw.charAt(i + 1)) < 0 || hex(raw.charAt(i + 2)) < 0) {
          throw new IllegalArgumentException("malformed percent-encoding at character " + i
              + ": '%' must be followed by two hex digits");
        }
        bytes.write(hex(raw.charAt(i + 1)) << 4 | hex(raw.charAt(i + 2)));
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        bytes.write(' ');
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        // Not legal in a URL, but some clients send raw UTF-8 (Netty hands it over as ISO-8859-1
        // chars): take the byte as it came.
        if (c > 0xff) {
          throw new IllegalArgumentException("character " + i + " is not a URL character");
        }
        bytes.write(c);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("the percent-encoded bytes are not valid UTF-8");
    }
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
