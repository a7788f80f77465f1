package dev.tally.node.storage;

import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreException;
import java.util.Arrays;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * One pass over the counters of a {@link RocksStateStore} as they were when the cursor was opened
 * (a RocksDB snapshot), in storage order: by unsigned 32-bit key hash, then by key bytes (see
 * {@link CounterKeys}). Pull-based: each {@link #next} reads one counter, so a reader that stops
 * pulling holds the snapshot and the iterator, never the keyspace.
 *
 * <p>A snapshot keeps the versions it sees from being compacted away while it is open, so close
 * the cursor as soon as the export ends (the store also closes every cursor still open when it
 * closes).
 *
 * <p>Threads: one reader at a time (the methods are synchronized, so the store's close can free
 * the native handles without racing a read); any thread.
 */
public final class ExportCursor implements AutoCloseable {
  private final RocksStateStore store;
  private final RocksDB db;
  private final Snapshot snapshot;
  private final ReadOptions options;
  private final RocksIterator it;
  private boolean closed;
  private long read;

  ExportCursor(RocksStateStore store, RocksDB db, org.rocksdb.ColumnFamilyHandle counters, String startAfter) {
    this.store = store;
    this.db = db;
    this.snapshot = db.getSnapshot();
    this.options = new ReadOptions().setSnapshot(snapshot);
    this.it = db.newIterator(counters, options);
    if (startAfter.isEmpty()) {
      it.seekToFirst();
    } else {
      byte[] from = CounterKeys.encode(startAfter);
      it.seek(from);
      if (it.isValid() && Arrays.equals(it.key(), from)) {
        it.next();
      }
    }
  }

  /**
   * The next counter, or null when the pass is over.
   *
   * @throws StoreException when the store is closed or RocksDB fails, or a state is corrupt
   */
  public synchronized KeyState next() {
    if (closed) {
      throw new StoreException("the export cursor is closed");
    }
    store.enter();
    try {
      store.beforeRead("export");
      if (!it.isValid()) {
        try {
          it.status();
        } catch (RocksDBException e) {
          throw new StoreException("iterating the store for an export failed: " + e.getMessage(), e);
        }
        return null;
      }
      String key = CounterKeys.keyOf(it.key());
      KeyState state = new KeyState(key, RocksStateStore.decodeState(key, it.value()));
      it.next();
      read++;
      return state;
    } finally {
      store.exit();
    }
  }

  /** Counters read so far. */
  public synchronized long read() {
    return read;
  }

  /** Frees the iterator and releases the snapshot. Idempotent. */
  @Override
  public void close() {
    store.forget(this);
    closeNative();
  }

  /** Also called by the store's close, before it closes the database. */
  synchronized void closeNative() {
    if (closed) {
      return;
    }
    closed = true;
    it.close();
    options.close();
    db.releaseSnapshot(snapshot);
  }
}
