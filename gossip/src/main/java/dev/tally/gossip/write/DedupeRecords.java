package dev.tally.gossip.write;

import dev.tally.gossip.store.StoreAttachment;
import java.util.List;

/**
 * The dedupe records of one write group, attached to the group's counter states so that
 * {@link RocksStateStore#write} puts both in one atomic RocksDB batch: a crash cannot keep a
 * counted increment without its record (a retry would count twice) or the reverse.
 */
public record DedupeRecords(List<DedupeRecord> records, List<StaleIndex> staleIndex) implements StoreAttachment {
  public DedupeRecords {
    records = List.copyOf(records);
    staleIndex = List.copyOf(staleIndex);
  }

  public DedupeRecords(List<DedupeRecord> records) {
    this(records, List.of());
  }

  /**
   * The expiry-index entry of a record that this batch rewrites with another expiry (a record
   * that waited for prior nodes under {@link DedupeRecord#NEVER} and is now resolved): the store
   * deletes it in the same batch, so the sweep sees the record's new expiry only.
   */
  public record StaleIndex(String requestId, long expiresAtMillis) {}
}
