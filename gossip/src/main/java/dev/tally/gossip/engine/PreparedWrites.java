package dev.tally.gossip.engine;

import dev.tally.gossip.store.KeyState;
import java.util.List;

/**
 * A group of local writes computed against the current states but not yet stored: the node builds
 * its dedupe records from {@link #results} and hands both back to {@link Replica#commit}.
 *
 * @param results one per write, in order
 * @param before each changed key's state before the group
 * @param after each changed key's state after the group, same order as {@code before}
 */
public record PreparedWrites(List<WriteResult> results, List<KeyState> before, List<KeyState> after) {
  public PreparedWrites {
    results = List.copyOf(results);
    before = List.copyOf(before);
    after = List.copyOf(after);
  }
}
