package dev.tally.node.migrate;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The request id of one import step: moving {@code key} from the value {@code current} (as a
 * QUORUM read saw it) toward {@code target}. The same step always gets the same id, so a step
 * retried, by the client after a lost answer or by a rerun of the whole import after a crash,
 * is applied once by the cluster (within the nodes' dedupe window); a different step (another
 * target, or a counter that moved in between) gets another id. {@code imp1-} and 43 characters of
 * base64url of SHA-256 over the key's UTF-8 bytes, a 0 byte and both values as 8 bytes each: 48
 * bytes, inside the 128-byte limit.
 */
public final class ImportRequestIds {
  private ImportRequestIds() {}

  public static String of(String key, long target, long current) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
    sha.update(key.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(ByteBuffer.allocate(16).putLong(target).putLong(current).array());
    return "imp1-" + Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
  }
}
