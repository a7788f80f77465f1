package dev.tally.node.migrate;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.time.format.DateTimeFormatter;

/**
 * Writes {@link CounterRecord}s as JSON Lines, one object per line: {@code
 * {"key":"likes:1","value":42,"updated_at":"2026-12-07T16:00:00.123Z"}}. Keys are any UTF-8 text
 * (Jackson escapes quotes, backslashes and control characters and writes the rest as UTF-8);
 * values are JSON integers written exactly, whatever their size (readers that parse numbers as
 * doubles lose digits past 2^53: use an integer-preserving parser); {@code updated_at} is RFC 3339
 * in UTC, or null when unknown. Streaming: nothing is kept but Jackson's small output buffer.
 *
 * <p>Threads: one writer at a time.
 */
public final class JsonLinesWriter implements AutoCloseable {
  private static final JsonFactory FACTORY = JsonFactory.builder().build();

  private final JsonGenerator json;

  /** Writes to {@code out}; {@link #close} flushes and closes it. */
  public JsonLinesWriter(OutputStream out) throws IOException {
    this.json = FACTORY.createGenerator(out, JsonEncoding.UTF8);
    // Jackson separates root values with a space by default; a line needs a newline instead.
    json.setRootValueSeparator(null);
  }

  /** Writes to {@code out} (for a stream of text, such as stdout); {@link #close} flushes and closes it. */
  public JsonLinesWriter(java.io.Writer out) throws IOException {
    this.json = FACTORY.createGenerator(out);
    json.setRootValueSeparator(null);
  }

  public void write(CounterRecord r) throws IOException {
    json.writeStartObject();
    json.writeStringField("key", r.key());
    json.writeNumberField("value", r.value());
    json.writeFieldName("updated_at");
    if (r.updatedAt() == null) {
      json.writeNull();
    } else {
      json.writeString(DateTimeFormatter.ISO_INSTANT.format(r.updatedAt()));
    }
    json.writeEndObject();
    json.writeRaw('\n');
  }

  public void flush() throws IOException {
    json.flush();
  }

  @Override
  public void close() throws IOException {
    json.close();
  }
}
