package dev.tally.gossip.merge;

import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.store.KeyState;
import dev.tally.peer.v1.CounterState;
import dev.tally.peer.v1.NodeRef;
import java.util.ArrayList;
import java.util.List;

/**
 * Validation of what peers send. Peer input is checked completely before anything is merged, so a
 * bad message fails its own call with an {@link IllegalArgumentException} naming the field and the
 * limit, changes nothing and never disturbs the replica.
 */
public final class PeerInput {
  /** Longest key, in UTF-8 bytes (the public API's limit). */
  public static final int MAX_KEY_BYTES = 4096;
  /** Most states in one peer message. */
  public static final int MAX_STATES = 100_000;
  /** Most replica entries in one counter state. */
  public static final int MAX_ENTRIES = 65_536;
  /** Most keys in one ReadStates request. */
  public static final int MAX_READ_KEYS = 10_000;

  private PeerInput() {}

  /**
   * Checks the sender of a message.
   *
   * @throws IllegalArgumentException when it is missing, has an empty name or dc, or names this node
   */
  public static NodeRef sender(boolean present, NodeRef from, String selfName) {
    if (!present) {
      throw new IllegalArgumentException("from is missing");
    }
    if (from.getName().isEmpty()) {
      throw new IllegalArgumentException("from.name is empty");
    }
    if (from.getDc().isEmpty()) {
      throw new IllegalArgumentException("from.dc is empty");
    }
    if (from.getName().equals(selfName)) {
      throw new IllegalArgumentException("from.name '" + selfName + "' is this node's own name");
    }
    return from;
  }

  /**
   * Converts peer states, checking every key and entry.
   *
   * @param field the message field, for error messages ("states")
   * @throws IllegalArgumentException on an empty or oversized key, a repeated or zero replica id,
   *     too many entries or too many states
   */
  public static List<KeyState> states(List<CounterState> states, String field) {
    if (states.size() > MAX_STATES) {
      throw new IllegalArgumentException(field + " has " + states.size() + " states, more than the limit of " + MAX_STATES);
    }
    List<KeyState> out = new ArrayList<>(states.size());
    for (int i = 0; i < states.size(); i++) {
      CounterState s = states.get(i);
      String name = field + "[" + i + "]";
      key(s.getKey(), name + ".key");
      if (s.getEntriesCount() > MAX_ENTRIES) {
        throw new IllegalArgumentException(name + ".entries has " + s.getEntriesCount()
            + " entries, more than the limit of " + MAX_ENTRIES);
      }
      try {
        out.add(new KeyState(s.getKey(), StateMessages.fromMessage(s)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name + ".entries: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * Checks one key.
   *
   * @throws IllegalArgumentException when it is empty or longer than {@link #MAX_KEY_BYTES} UTF-8 bytes
   */
  public static String key(String key, String field) {
    if (key.isEmpty()) {
      throw new IllegalArgumentException(field + " is empty");
    }
    int bytes = utf8Length(key);
    if (bytes > MAX_KEY_BYTES) {
      throw new IllegalArgumentException(field + " is " + bytes + " UTF-8 bytes, more than the limit of " + MAX_KEY_BYTES);
    }
    return key;
  }

  static int utf8Length(String s) {
    int bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
