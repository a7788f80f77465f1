package dev.tally.node.api;

import io.grpc.Status;

/**
 * Keeps status descriptions short enough to reach the client. A description travels as the
 * {@code grpc-message} trailer, percent-encoded (every byte of a non-ASCII character becomes three),
 * and a client refuses trailers larger than its metadata limit (grpc-java: 8 KiB) with INTERNAL
 * "http2 exception", so a message that echoes a long input (grpc's own health service answers
 * {@code unknown service <name>}) reached the client as INTERNAL instead of its real code. Found by
 * {@code RequestFuzzTest}.
 */
public final class StatusDescriptions {
  /** Most bytes of a description once percent-encoded; the rest of the trailers fit beside it. */
  public static final int MAX_ENCODED_BYTES = 4096;

  private static final String CUT = "... (cut)";

  private StatusDescriptions() {}

  /** {@code status}, with its description cut to {@link #MAX_ENCODED_BYTES} encoded bytes if longer. */
  public static Status bounded(Status status) {
    String d = status.getDescription();
    if (d == null || d.length() * 9L <= MAX_ENCODED_BYTES) {
      return status;
    }
    if (encodedSize(d, d.length()) <= MAX_ENCODED_BYTES) {
      return status;
    }
    int budget = MAX_ENCODED_BYTES - CUT.length();
    int used = 0;
    int end = 0;
    while (true) {
      int cp = d.codePointAt(end);
      int size = encodedSize(cp);
      if (used + size > budget) {
        return status.withDescription(d.substring(0, end) + CUT);
      }
      used += size;
      end += Character.charCount(cp);
    }
  }

  private static long encodedSize(String s, int end) {
    long n = 0;
    for (int i = 0; i < end; i += Character.charCount(s.codePointAt(i))) {
      n += encodedSize(s.codePointAt(i));
    }
    return n;
  }

  /** Bytes of one code point in grpc-message: printable ASCII (but '%') as is, every other UTF-8 byte as %XX. */
  private static int encodedSize(int cp) {
    if (cp >= 0x20 && cp < 0x7f && cp != '%') {
      return 1;
    }
    int utf8 = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    return 3 * utf8;
  }
}
