package dev.tally.node.fuzz;

import java.util.HexFormat;

final class Hex {
  private Hex() {}

  /** Lower-case hex of the first {@code max} bytes, with the length when cut. */
  static String of(byte[] b, int max) {
    if (b.length <= max) {
      return HexFormat.of().formatHex(b);
    }
    return HexFormat.of().formatHex(b, 0, max) + "... (" + b.length + " bytes)";
  }
}
