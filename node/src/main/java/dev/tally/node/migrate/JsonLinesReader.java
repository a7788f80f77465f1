package dev.tally.node.migrate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.io.InputStreamReader;

/**
 * Reads the JSON Lines of {@link JsonLinesWriter}, one line at a time: each non-blank line one
 * object with {@code key} (a string of 1..4096 bytes of UTF-8) and {@code value} (a JSON integer in
 * int64; 1.0, 1e3 and strings are refused), and optionally {@code updated_at} (RFC 3339 or null).
 * Other fields are ignored, so a file from a newer export still reads. A line that breaks a rule
 * is an {@link InvalidLineException} naming the line number and what is wrong.
 *
 * <p>Threads: one reader at a time.
 */
public final class JsonLinesReader implements AutoCloseable {
  /** Longest key, in UTF-8 bytes (the node's limit). */
  public static final int MAX_KEY_BYTES = 4096;

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(64).build()).build();

  /** A line that is not a valid record. */
  public static final class InvalidLineException extends Exception {
    private final long line;

    InvalidLineException(long line, String message) {
      super("line " + line + ": " + message);
      this.line = line;
    }

    public long line() {
      return line;
    }
  }

  private final BufferedReader in;
  private long lineNumber;

  /** Opens {@code file} (UTF-8; malformed bytes are an error, not replaced). */
  public static JsonLinesReader open(Path file) throws IOException {
    return new JsonLinesReader(new BufferedReader(new InputStreamReader(Files.newInputStream(file),
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT))));
  }

  JsonLinesReader(BufferedReader in) {
    this.in = in;
  }

  /** The number of the line last read (1-based; 0 before the first). */
  public long lineNumber() {
    return lineNumber;
  }

  /**
   * The next record, or null at the end of the input. Blank lines are skipped.
   *
   * @throws InvalidLineException when the line is not a valid record (reading may go on after it)
   * @throws IOException when the file cannot be read (including bytes that are not UTF-8)
   */
  public CounterRecord next() throws IOException, InvalidLineException {
    String line;
    do {
      try {
        line = in.readLine();
      } catch (CharacterCodingException e) {
        throw new IOException("line " + (lineNumber + 1) + " is not valid UTF-8", e);
      }
      if (line == null) {
        return null;
      }
      lineNumber++;
    } while (line.isBlank());
    return parse(line, lineNumber);
  }

  static CounterRecord parse(String line, long n) throws InvalidLineException {
    String key = null;
    Long value = null;
    Instant updatedAt = null;
    try (JsonParser p = FACTORY.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidLineException(n, "not a JSON object (expected {\"key\":...,\"value\":...})");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "key" -> {
            if (t != JsonToken.VALUE_STRING) {
              throw new InvalidLineException(n, "key must be a string, got " + describe(t));
            }
            key = p.getText();
          }
          case "value" -> {
            if (t != JsonToken.VALUE_NUMBER_INT) {
              throw new InvalidLineException(n, "value must be an integer, got " + describe(t));
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
              throw new InvalidLineException(n, "value " + p.getText() + " is outside int64 ("
                  + Long.MIN_VALUE + ".." + Long.MAX_VALUE + ")");
            }
            value = p.getLongValue();
          }
          case "updated_at" -> {
            if (t == JsonToken.VALUE_STRING) {
              try {
                updatedAt = Instant.parse(p.getText());
              } catch (DateTimeParseException e) {
                throw new InvalidLineException(n, "updated_at '" + p.getText() + "' is not an RFC 3339 UTC time");
              }
            } else if (t != JsonToken.VALUE_NULL) {
              throw new InvalidLineException(n, "updated_at must be a string or null, got " + describe(t));
            }
          }
          default -> p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw new InvalidLineException(n, "more than one JSON value on the line");
      }
    } catch (JsonParseException e) {
      throw new InvalidLineException(n, "not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidLineException(n, "not valid JSON: " + e.getMessage());
    }
    if (key == null) {
      throw new InvalidLineException(n, "no \"key\"");
    }
    if (value == null) {
      throw new InvalidLineException(n, "no \"value\"");
    }
    if (!StandardCharsets.UTF_8.newEncoder().canEncode(key)) {
      throw new InvalidLineException(n, "key holds an unpaired surrogate escape (\\uD800..\\uDFFF): not UTF-8 text");
    }
    int bytes = key.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > MAX_KEY_BYTES) {
      throw new InvalidLineException(n, "key is " + bytes + " bytes; a key is 1.." + MAX_KEY_BYTES + " bytes of UTF-8");
    }
    return new CounterRecord(key, value, updatedAt);
  }

  private static String describe(JsonToken t) {
    return switch (t) {
      case VALUE_NUMBER_FLOAT -> "a number with a fraction or exponent";
      case VALUE_STRING -> "a string";
      case VALUE_NULL -> "null";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      default -> String.valueOf(t);
    };
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
