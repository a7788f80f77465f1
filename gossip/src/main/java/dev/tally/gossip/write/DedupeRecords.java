package dev.tally.gossip.write;

import dev.tally.gossip.store.StoreAttachment;
import java.util.List;

/**
 * The dedupe records of one write group, attached to the group's counter states so that
 * {@link RocksStateStore#write} puts both in one atomic RocksDB batch: a crash cannot keep a
 * counted increment without its record (a retry would count twice) or the reverse.
 */
public record DedupeRecords(List<DedupeRecord> records) implements StoreAttachment {
  public DedupeRecords {
    records = List.copyOf(records);
  }
}
