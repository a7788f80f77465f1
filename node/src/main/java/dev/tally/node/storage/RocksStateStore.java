package dev.tally.node.storage;

import dev.tally.gossip.write.DedupeRecord;
import dev.tally.gossip.write.DedupeRecords;
import dev.tally.gossip.write.WriteStore;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.PnCounterCodec;
import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.identity.ClaimRecords;
import dev.tally.gossip.identity.ReplicaClaim;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.time.Clock;
import dev.tally.node.config.Durability;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Cache;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.SstFileManager;
import org.rocksdb.Env;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's durable state in one RocksDB data directory, in four column families:
 *
 * <ul>
 *   <li>{@code meta}: {@code format-version} ("1"), {@code cluster-id}, {@code replica-id} (16 hex
 *       digits) and {@code created-at} (ISO-8601), all UTF-8 text; and one {@code member/NAME} ->
 *       dc entry for every cluster member this node has ever seen (what a restart counts its DC's
 *       size from); and {@code health-probe} (the time of the last {@link #probeWrite}, overwritten
 *       by each);
 *   <li>{@code counters}: {@link CounterKeys} -> {@link PnCounterCodec} bytes;
 *   <li>{@code dedupe}: request id (UTF-8) -> {@link DedupeRecordCodec} bytes;
 *   <li>{@code dedupe_expiry}: 8-byte big-endian expiry millis + request id -> empty, the sweep
 *       index.
 * </ul>
 *
 * <p>The replica id is drawn on the first open of an empty directory and never changes; a
 * directory of another cluster id, of a newer format, or held by another process is refused.
 *
 * <h2>Writes</h2>
 *
 * Every write runs on one writer thread ({@link StoreWriterThread}), in the order it was handed
 * over: {@link #writeAsync} (the group commit's pipelined local groups), {@link #write} (merges;
 * waits for its turn) and {@link #sweepExpiredDedupe}. Writes queued next to each other become one
 * RocksDB {@code WriteBatch} (encoded on the caller's thread, put together on the writer's),
 * written with {@code sync=true} under {@code durability: sync}: one fsync for all of them. A
 * synced write becomes visible to readers only after its WAL fsync (RocksDB writes and syncs the
 * WAL before inserting into the memtable and publishing the sequence number; pipelined and
 * unordered writes, which would change that, stay off), so {@link #get} and {@link #scan} only
 * ever see durable states.
 *
 * <h2>Failures</h2>
 *
 * A failed write throws (or fails its future with) a {@link StoreException} whose
 * {@link StoreException.Kind} says whether the disk is full or failed, and the
 * {@link WriteObserver} hears of it; it also hears of every write that succeeds, so a
 * {@link StoreHealth} can tell when writes work again. RocksDB itself stops writing after a failed
 * WAL write or flush (its background error) and clears that by itself: from a full disk once its
 * {@link SstFileManager} sees free space again (it polls every few seconds), from a retryable I/O
 * error by its own resume attempts. RocksJava has no {@code DB::Resume()}, so a non-retryable
 * error (RocksDB calls it fatal) stays until the node restarts; {@link #probeWrite} is how the
 * node learns either way. Reads keep working throughout.
 *
 * <h2>Threads</h2>
 *
 * {@link #get}, {@link #scan}, {@link #exportCursor}, {@link #findDedupe} and the statistics from any thread;
 * {@link #write}, {@link #writeAsync}, {@link #clearFailedWrites} and {@link #sweepExpiredDedupe}
 * from the replica thread (the node's one submitter, which keeps the order meaningful);
 * {@link #close} once, after the replica thread has stopped submitting. A close lets queued writes
 * finish, waits for readers still inside RocksDB, then refuses new calls with
 * {@link StoreException}, so a late reader never touches a closed native handle.
 */
public final class RocksStateStore implements WriteStore, ClaimRecords, AutoCloseable {

  /** The storage format this build writes and the newest it reads. */
  public static final int FORMAT_VERSION = 1;

  static final String CF_META = "meta";
  static final String CF_COUNTERS = "counters";
  static final String CF_DEDUPE = "dedupe";
  static final String CF_DEDUPE_EXPIRY = "dedupe_expiry";
  static final String META_FORMAT = "format-version";
  static final String META_CLUSTER_ID = "cluster-id";
  static final String META_REPLICA_ID = "replica-id";
  static final String META_CREATED_AT = "created-at";
  static final String META_MEMBER_PREFIX = "member/";
  /** The data dir's start count; see {@link dev.tally.gossip.identity.StartState}. */
  static final String META_EPOCH = "replica-epoch";
  /** Present (holding the epoch) only between a clean close and the next open. */
  static final String META_CLEAN_SHUTDOWN = "clean-shutdown";
  static final String META_CLAIM_PREFIX = "claim/";
  static final String META_HEALTH_PROBE = "health-probe";
  /** See {@link #remembersSince}. */
  static final String META_REMEMBERS_SINCE = "dedupe-complete-since";

  private static final Logger log = LoggerFactory.getLogger(RocksStateStore.class);
  private static final byte[] EMPTY = new byte[0];
  private static final long BLOCK_CACHE_BYTES = 64L << 20;

  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final RocksDB db;
  private final List<AutoCloseable> resources;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle counters;
  private final ColumnFamilyHandle dedupe;
  private final ColumnFamilyHandle dedupeExpiry;
  private final WriteOptions writeOptions;
  private final WriteOptions sweepOptions;
  private final WriteOptions metaOptions;
  private final ColumnFamilyHandle meta;
  private final Durability durability;
  private volatile long replicaId;
  private volatile long epoch;
  private final boolean freshDir;
  private final boolean lastShutdownClean;
  private final Instant createdAt;
  private final AtomicInteger callsInside = new AtomicInteger();
  private final WriteHook hook;
  private final ReadHook readHook;
  private volatile WriteObserver observer = WriteObserver.NONE;
  private final StoreWriterThread writer = new StoreWriterThread("tally-store-writer", this::writeBatches);
  private volatile boolean closed;
  private final Set<ExportCursor> cursors = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private RocksStateStore(Path dir, RocksDB db, List<AutoCloseable> resources, List<ColumnFamilyHandle> handles,
      Durability durability, Identity identity, WriteHook hook, ReadHook readHook) {
    this.dir = dir;
    this.hook = hook;
    this.readHook = readHook;
    this.db = db;
    this.resources = resources;
    this.handles = List.copyOf(handles);
    this.meta = handles.get(1);
    this.counters = handles.get(2);
    this.dedupe = handles.get(3);
    this.dedupeExpiry = handles.get(4);
    this.durability = durability;
    this.writeOptions = new WriteOptions().setSync(durability == Durability.SYNC);
    // Losing a sweep's deletes in a crash only means sweeping them again.
    this.sweepOptions = new WriteOptions().setSync(false);
    // Members are rare and must survive a power loss to keep quorum sizes right: always synced.
    this.metaOptions = new WriteOptions().setSync(true);
    this.replicaId = identity.replicaId;
    this.epoch = identity.epoch;
    this.freshDir = identity.fresh;
    this.lastShutdownClean = identity.clean;
    this.createdAt = identity.createdAt;
  }

  /**
   * A test seam on the writer thread: runs before each counter batch (and each {@link #probeWrite})
   * is written to RocksDB. Throwing fails that write (nothing of it is written): a
   * {@link RocksDBException} with RocksDB's status for a full disk ({@code IOError}/{@code NoSpace})
   * or an I/O error is classified as RocksDB's own would be. Blocking holds the writer.
   */
  @FunctionalInterface
  public interface WriteHook {
    WriteHook NONE = counters -> {};

    /** @param counters counter states in the batch about to be written (0 for a probe) */
    void beforeWrite(int counters) throws RocksDBException;
  }

  /**
   * A test seam: runs on the reading thread before each read that may go to disk ({@link #get},
   * {@link #scan}, {@link #findDedupe}), so a test can see which threads read the store.
   */
  @FunctionalInterface
  public interface ReadHook {
    ReadHook NONE = what -> {};

    /** @param what "get", "scan", "dedupe" or "export" (once per counter an export cursor reads) */
    void beforeRead(String what);
  }

  /**
   * Told, on the writer thread and in write order, how each write went: counter batches (local
   * groups and merges), dedupe sweeps that deleted something, and probes. Must not block.
   */
  public interface WriteObserver {
    WriteObserver NONE = new WriteObserver() {
      @Override
      public void succeeded() {}

      @Override
      public void failed(StoreException e) {}
    };

    void succeeded();

    /** Nothing of the write was written; {@code e} says why. */
    void failed(StoreException e);
  }

  /**
   * Opens (creating if empty) the data directory for a cluster.
   *
   * @throws DataDirException if the directory cannot be used, with the reason
   */
  public static RocksStateStore open(Path dir, String clusterId, Durability durability, Clock clock) {
    return open(dir, clusterId, durability, clock, WriteHook.NONE);
  }

  /** As {@link #open(Path, String, Durability, Clock)}, with a {@link WriteHook} (tests inject faults with it). */
  public static RocksStateStore open(Path dir, String clusterId, Durability durability, Clock clock, WriteHook hook) {
    return open(dir, clusterId, durability, clock, hook, ReadHook.NONE);
  }

  /** As {@link #open(Path, String, Durability, Clock)}, with test seams on writes and reads. */
  public static RocksStateStore open(Path dir, String clusterId, Durability durability, Clock clock, WriteHook hook,
      ReadHook readHook) {
    Path abs = dir.toAbsolutePath().normalize();
    prepareDirectory(abs);
    List<AutoCloseable> resources = new ArrayList<>();
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB db = null;
    try {
      Cache cache = new LRUCache(BLOCK_CACHE_BYTES);
      resources.add(cache);
      BloomFilter bloom = new BloomFilter(10, false);
      resources.add(bloom);
      // No in-place memtable updates (inplace_update_support): they overwrite a value's bytes while
      // iterators (scan: anti-entropy, digest rebuild) copy them without a lock, so a reader could
      // decode half of one state and half of the next (RocksStateStoreTornReadTest shows it). Every
      // write appends a new version; a hot key's old versions go at the next flush.
      ColumnFamilyOptions countersOptions = new ColumnFamilyOptions()
          .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom));
      resources.add(countersOptions);
      // Most dedupe lookups miss (a request id is new): the bloom filter answers those from memory.
      ColumnFamilyOptions dedupeOptions = new ColumnFamilyOptions()
          .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom));
      resources.add(dedupeOptions);
      ColumnFamilyOptions plainOptions = new ColumnFamilyOptions()
          .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache));
      resources.add(plainOptions);
      // Named rather than left to RocksDB's defaults: it is what resumes writes after a full disk
      // once space is freed (see Failures above).
      SstFileManager sstFiles;
      try {
        sstFiles = new SstFileManager(Env.getDefault());
      } catch (RocksDBException e) {
        throw openFailure(abs, e);
      }
      resources.add(sstFiles);
      DBOptions dbOptions = new DBOptions()
          .setSstFileManager(sstFiles)
          .setCreateIfMissing(true)
          .setCreateMissingColumnFamilies(true)
          .setMaxBackgroundJobs(2)
          .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
          .setMaxLogFileSize(8L << 20)
          .setKeepLogFileNum(3);
      resources.add(dbOptions);

      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, plainOptions));
      descriptors.add(new ColumnFamilyDescriptor(bytes(CF_META), plainOptions));
      descriptors.add(new ColumnFamilyDescriptor(bytes(CF_COUNTERS), countersOptions));
      descriptors.add(new ColumnFamilyDescriptor(bytes(CF_DEDUPE), dedupeOptions));
      descriptors.add(new ColumnFamilyDescriptor(bytes(CF_DEDUPE_EXPIRY), plainOptions));
      // RocksDB refuses to open without every existing family; a newer format may have more, which
      // are opened only so that the format check below can refuse with a clear message.
      for (byte[] existing : existingFamilies(abs)) {
        if (descriptors.stream().noneMatch(d -> Arrays.equals(d.getName(), existing))) {
          descriptors.add(new ColumnFamilyDescriptor(existing, plainOptions));
        }
      }
      try {
        db = RocksDB.open(dbOptions, abs.toString(), descriptors, handles);
      } catch (RocksDBException e) {
        throw openFailure(abs, e);
      }
      Identity identity = checkOrCreateIdentity(abs, db, handles, clusterId, clock);
      RocksStateStore store = new RocksStateStore(abs, db, resources, handles, durability, identity, hook, readHook);
      restrictFiles(abs);
      log.info("opened data dir {} (replica {}, epoch {}, created {}, durability {}, last shutdown {})", abs,
          ReplicaIds.format(identity.replicaId), identity.epoch, identity.createdAt, durability.configName(),
          identity.fresh ? "none (new)" : identity.clean ? "clean" : "NOT clean");
      return store;
    } catch (RuntimeException e) {
      handles.forEach(ColumnFamilyHandle::close);
      if (db != null) {
        db.close();
      }
      closeAll(resources);
      throw e;
    }
  }

  /** This node's replica id, stored in the data directory. */
  public long replicaId() {
    return replicaId;
  }

  /** This start's epoch: the number of times the dir was opened under its replica id. */
  public long epoch() {
    return epoch;
  }

  /** Whether this open created the data dir. */
  public boolean freshDir() {
    return freshDir;
  }

  /** Whether the previous process closed the dir cleanly (false for a new dir). */
  public boolean lastShutdownClean() {
    return lastShutdownClean;
  }

  /**
   * Takes a new replica id (epoch 1), synced before it returns, so that no write goes under the
   * old one again. The data is kept: the old id's entries stay, frozen, in every counter.
   */
  public synchronized long rotateReplicaId() {
    enter();
    try {
      long fresh = ReplicaIds.newId();
      try (WriteBatch batch = new WriteBatch()) {
        batch.put(meta, bytes(META_REPLICA_ID), bytes(ReplicaIds.format(fresh)));
        batch.put(meta, bytes(META_EPOCH), bytes("1"));
        db.write(metaOptions, batch);
      } catch (RocksDBException e) {
        throw new StoreException("storing a new replica id failed: " + e.getMessage(), e);
      }
      log.warn("data dir {}: replica id {} retired, writing under new replica id {}", dir,
          ReplicaIds.format(replicaId), ReplicaIds.format(fresh));
      replicaId = fresh;
      epoch = 1;
      return fresh;
    } finally {
      exit();
    }
  }

  @Override
  public Optional<ReplicaClaim> findClaim(long replica) {
    enter();
    try {
      byte[] v = db.get(meta, bytes(META_CLAIM_PREFIX + ReplicaIds.format(replica)));
      if (v == null) {
        return Optional.empty();
      }
      String[] parts = text(v).split(" ", 3);
      return Optional.of(new ReplicaClaim(replica, Long.parseLong(parts[0]), parts[2],
          Long.parseUnsignedLong(parts[1], 16)));
    } catch (RocksDBException e) {
      throw new StoreException("reading the claim of replica " + ReplicaIds.format(replica) + " failed: "
          + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  @Override
  public void recordClaim(ReplicaClaim claim) {
    enter();
    try {
      db.put(meta, metaOptions, bytes(META_CLAIM_PREFIX + ReplicaIds.format(claim.replicaId())),
          bytes(claim.epoch() + " " + Long.toHexString(claim.instance()) + " " + claim.nodeName()));
    } catch (RocksDBException e) {
      throw new StoreException("recording the claim " + claim + " failed: " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /** When this data directory was first opened. */
  public Instant createdAt() {
    return createdAt;
  }

  public Path directory() {
    return dir;
  }

  public Durability durability() {
    return durability;
  }

  /** Sets who hears how each write went (one observer; the node's {@link StoreHealth}). Any thread. */
  public void observeWrites(WriteObserver o) {
    this.observer = java.util.Objects.requireNonNull(o, "observer");
  }

  /**
   * Writes {@code health-probe} (synced, whatever the durability) on the writer thread behind every
   * write queued before it: the future completes once that write is durable, or fails with the
   * {@link StoreException} that stopped it. The {@link WriteObserver} hears of it either way.
   */
  public CompletableFuture<Void> probeWrite() {
    return writer.submitTask(() -> {
      enter();
      try {
        hook.beforeWrite(0);
        db.put(meta, metaOptions, bytes(META_HEALTH_PROBE), bytes(Instant.now().toString()));
        observer.succeeded();
        return null;
      } catch (RocksDBException e) {
        throw failed(classify("the probe write failed (the store still refuses writes): ", e));
      } catch (StoreException e) {
        throw failed(e);
      } finally {
        exit();
      }
    });
  }

  @Override
  public PnCounter get(String key) {
    enter();
    try {
      readHook.beforeRead("get");
      byte[] value = db.get(counters, CounterKeys.encode(key));
      return value == null ? PnCounter.EMPTY : decodeState(key, value);
    } catch (RocksDBException e) {
      throw new StoreException("reading counter '" + key + "' failed: " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /**
   * Writes the states and attachment after every write handed over before it (possibly in one
   * combined write with them), and returns once it is durable. Merges come this way: their states
   * build on staged local groups, so they must land after them.
   */
  @Override
  public void write(Collection<KeyState> states, StoreAttachment attachment) {
    CompletableFuture<Long> done = writer.submitBatch(StoreWriterThread.Kind.ORDERED, encode(states, attachment));
    try {
      done.join();
    } catch (CompletionException e) {
      throw asStoreException(e.getCause());
    }
  }

  /**
   * Queues the states and attachment behind every earlier write and returns at once; the future
   * completes on the writer thread once they are durable, with the nanoseconds the RocksDB write
   * (and fsync) took, or fails with {@link StoreException} when nothing of them was written. Such a
   * write may build on earlier queued ones (the group commit stages groups), so when it fails,
   * every write queued behind it fails too without touching the disk, until
   * {@link #clearFailedWrites} is called.
   *
   * @throws StoreException if the store is closed (nothing was queued)
   */
  @Override
  public CompletableFuture<Long> writeAsync(Collection<KeyState> states, StoreAttachment attachment) {
    return writer.submitBatch(StoreWriterThread.Kind.DEPENDENT, encode(states, attachment));
  }

  /**
   * After a failed {@link #writeAsync}, once the caller has dropped every state built on it: writes
   * handed over from now on are attempted again. Idempotent.
   */
  @Override
  public void clearFailedWrites() {
    writer.clearFailure();
  }

  /** One write's puts, encoded on the caller's thread (off the writer thread). */
  private static final class EncodedBatch implements StoreWriterThread.Batch {
    final ColumnFamilyHandle[] families;
    final byte[][] keys;
    final byte[][] values;
    final int counters;

    EncodedBatch(int puts, int counters) {
      this.families = new ColumnFamilyHandle[puts];
      this.keys = new byte[puts][];
      this.values = new byte[puts][];
      this.counters = counters;
    }

    @Override
    public int counters() {
      return counters;
    }

    @Override
    public void release() {
      // plain Java arrays: nothing native to free
    }
  }

  private EncodedBatch encode(Collection<KeyState> states, StoreAttachment attachment) {
    List<DedupeRecord> records = List.of();
    List<DedupeRecords.StaleIndex> stale = List.of();
    if (attachment instanceof DedupeRecords r) {
      records = r.records();
      stale = r.staleIndex();
    } else if (attachment != StoreAttachment.NONE) {
      throw new IllegalArgumentException("unsupported attachment " + attachment.getClass().getName());
    }
    EncodedBatch b = new EncodedBatch(states.size() + 2 * records.size() + stale.size(), states.size());
    int i = 0;
    for (KeyState ks : states) {
      b.families[i] = counters;
      b.keys[i] = CounterKeys.encode(ks.key());
      b.values[i] = PnCounterCodec.encode(ks.state());
      i++;
    }
    for (DedupeRecord r : records) {
      byte[] id = bytes(r.requestId());
      b.families[i] = dedupe;
      b.keys[i] = id;
      b.values[i] = DedupeRecordCodec.encode(r);
      i++;
      b.families[i] = dedupeExpiry;
      b.keys[i] = expiryKey(r.expiresAtMillis(), id);
      b.values[i] = EMPTY;
      i++;
    }
    for (DedupeRecords.StaleIndex x : stale) {
      // A null value deletes: the record's old index entry goes in the same batch as its rewrite.
      b.families[i] = dedupeExpiry;
      b.keys[i] = expiryKey(x.expiresAtMillis(), bytes(x.requestId()));
      b.values[i] = null;
      i++;
    }
    return b;
  }

  /** Writer thread: one atomic RocksDB batch of every given write, in order; returns the write's nanoseconds. */
  private long writeBatches(List<StoreWriterThread.Batch> batches) {
    enter();
    int counterCount = 0;
    try (WriteBatch batch = new WriteBatch()) {
      for (StoreWriterThread.Batch sb : batches) {
        EncodedBatch b = (EncodedBatch) sb;
        counterCount += b.counters;
        for (int i = 0; i < b.keys.length; i++) {
          if (b.values[i] == null) {
            batch.delete(b.families[i], b.keys[i]);
          } else {
            batch.put(b.families[i], b.keys[i], b.values[i]);
          }
        }
      }
      hook.beforeWrite(counterCount);
      long start = System.nanoTime();
      db.write(writeOptions, batch);
      long nanos = System.nanoTime() - start;
      observer.succeeded();
      return nanos;
    } catch (RocksDBException e) {
      throw failed(classify("writing " + counterCount + " counters failed (nothing written): ", e));
    } catch (StoreException e) {
      throw failed(e);
    } finally {
      exit();
    }
  }

  /** Writer thread: tells the observer, and returns the failure for the caller to throw. */
  private StoreException failed(StoreException e) {
    try {
      observer.failed(e);
    } catch (RuntimeException oops) {
      log.warn("the store's write observer failed", oops);
    }
    return e;
  }

  /**
   * A RocksDB failure as a {@link StoreException} of the right kind: RocksDB reports a full disk as
   * {@code IOError} with sub-code {@code NoSpace} (also as a background error replayed to every
   * later write, sometimes with only the message to go by).
   */
  static StoreException classify(String what, RocksDBException e) {
    org.rocksdb.Status status = e.getStatus();
    String msg = String.valueOf(e.getMessage());
    StoreException.Kind kind;
    if ((status != null && status.getSubCode() == org.rocksdb.Status.SubCode.NoSpace) || msg.contains("No space")) {
      kind = StoreException.Kind.NO_SPACE;
    } else if (status != null && status.getCode() == org.rocksdb.Status.Code.IOError) {
      kind = StoreException.Kind.IO;
    } else {
      kind = StoreException.Kind.OTHER;
    }
    return new StoreException(kind, what + msg, e);
  }

  private static StoreException asStoreException(Throwable t) {
    if (t instanceof StoreException e) {
      return e;
    }
    return new StoreException(String.valueOf(t), t);
  }

  @Override
  public void scan(long fromHash, long toHashExclusive, Consumer<KeyState> visitor) {
    if (fromHash >= toHashExclusive) {
      return;
    }
    enter();
    readHook.beforeRead("scan");
    try (ReadOptions options = new ReadOptions(); RocksIterator it = db.newIterator(counters, options)) {
      for (it.seek(CounterKeys.seekTo(fromHash)); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (CounterKeys.hashOf(k) >= toHashExclusive) {
          break;
        }
        String key = CounterKeys.keyOf(k);
        visitor.accept(new KeyState(key, decodeState(key, it.value())));
      }
      checkIterator(it);
    } finally {
      exit();
    }
  }

  /**
   * Opens a pass over every counter as it is now (a snapshot), in {@link #scan} order, starting
   * after {@code startAfter} (empty: at the first key). Close it when done.
   *
   * @throws StoreException if the store is closed
   */
  public ExportCursor exportCursor(String startAfter) {
    enter();
    try {
      ExportCursor cursor = new ExportCursor(this, db, counters, startAfter);
      cursors.add(cursor);
      return cursor;
    } finally {
      exit();
    }
  }

  void forget(ExportCursor cursor) {
    cursors.remove(cursor);
  }

  void beforeRead(String what) {
    readHook.beforeRead(what);
  }

  /**
   * Records waiting for prior nodes: their index entries sort last (expiry {@link
   * DedupeRecord#NEVER}), so this seeks straight to them.
   */
  @Override
  public List<DedupeRecord> unresolvedDedupe() {
    enter();
    List<DedupeRecord> out = new ArrayList<>();
    try (ReadOptions options = new ReadOptions(); RocksIterator it = db.newIterator(dedupeExpiry, options)) {
      byte[] from = expiryKey(DedupeRecord.NEVER, EMPTY);
      for (it.seek(from); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (readLong(k, 0) != DedupeRecord.NEVER) {
          break;
        }
        byte[] id = Arrays.copyOfRange(k, 8, k.length);
        byte[] value = db.get(dedupe, id);
        if (value != null) {
          DedupeRecord r = DedupeRecordCodec.decode(new String(id, StandardCharsets.UTF_8), value);
          if (!r.unresolved().isEmpty()) {
            out.add(r);
          }
        }
      }
      checkIterator(it);
      return out;
    } catch (RocksDBException e) {
      throw new StoreException("reading unresolved dedupe records failed: " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /** The stored record for a request id, live or not (callers check {@link DedupeRecord#liveAt}). */
  @Override
  public Optional<DedupeRecord> findDedupe(String requestId) {
    enter();
    try {
      readHook.beforeRead("dedupe");
      byte[] value = db.get(dedupe, bytes(requestId));
      if (value == null) {
        return Optional.empty();
      }
      try {
        return Optional.of(DedupeRecordCodec.decode(requestId, value));
      } catch (IllegalArgumentException e) {
        throw new StoreException("dedupe record '" + requestId + "' is corrupt: " + e.getMessage(), e);
      }
    } catch (RocksDBException e) {
      throw new StoreException("reading dedupe record '" + requestId + "' failed: " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /**
   * Any thread: deletes up to {@code limit} records that expired at or before
   * {@code nowMillis}, oldest first. A record re-applied after its expiry (same request id, newer
   * expiry) is kept; only its stale index entry goes.
   *
   * @return index entries removed; {@code limit} means there may be more
   */
  @Override
  public CompletableFuture<Integer> sweepExpiredDedupe(long nowMillis, int limit) {
    // On the writer thread, in turn: the reads below then see every earlier write, so a record
    // re-applied by a queued group is never mistaken for an expired one.
    return writer.submitTask(() -> sweepOnWriterThread(nowMillis, limit));
  }

  private int sweepOnWriterThread(long nowMillis, int limit) {
    enter();
    int removed = 0;
    try (ReadOptions options = new ReadOptions();
        RocksIterator it = db.newIterator(dedupeExpiry, options);
        WriteBatch batch = new WriteBatch()) {
      for (it.seekToFirst(); it.isValid() && removed < limit; it.next()) {
        byte[] k = it.key();
        long expiry = readLong(k, 0);
        if (expiry > nowMillis) {
          break;
        }
        byte[] id = Arrays.copyOfRange(k, 8, k.length);
        batch.delete(dedupeExpiry, k);
        byte[] record = db.get(dedupe, id);
        if (record != null && DedupeRecordCodec.expiresAt(record) <= nowMillis) {
          batch.delete(dedupe, id);
        }
        removed++;
      }
      checkIterator(it);
      if (removed > 0) {
        db.write(sweepOptions, batch);
        observer.succeeded();
      }
      return removed;
    } catch (RocksDBException e) {
      throw failed(classify("sweeping expired dedupe records failed: ", e));
    } finally {
      exit();
    }
  }

  /**
   * This node's clock (ms) from which the dir's dedupe records are complete: 0 unless a start found
   * the dir may be an older copy ({@link #recordRemembersSince}). Any thread.
   */
  public long remembersSince() {
    enter();
    try {
      byte[] v = db.get(meta, bytes(META_REMEMBERS_SINCE));
      return v == null ? 0 : Long.parseLong(text(v));
    } catch (RocksDBException e) {
      throw new StoreException("reading " + META_REMEMBERS_SINCE + " failed: " + e.getMessage(), e);
    } catch (NumberFormatException e) {
      throw new DataDirException("data dir " + dir + " has an unreadable " + META_REMEMBERS_SINCE + ": " + e.getMessage());
    } finally {
      exit();
    }
  }

  /** Records, fsynced, that the dir's records are complete only from {@code millis} on. Any thread. */
  public void recordRemembersSince(long millis) {
    enter();
    try {
      db.put(meta, metaOptions, bytes(META_REMEMBERS_SINCE), bytes(Long.toString(millis)));
    } catch (RocksDBException e) {
      throw new StoreException("writing " + META_REMEMBERS_SINCE + " failed: " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /** Every cluster member remembered in this data dir: name -> dc. Any thread. */
  public Map<String, String> knownMembers() {
    enter();
    Map<String, String> out = new TreeMap<>();
    byte[] prefix = bytes(META_MEMBER_PREFIX);
    try (ReadOptions options = new ReadOptions(); RocksIterator it = db.newIterator(meta, options)) {
      for (it.seek(prefix); it.isValid(); it.next()) {
        String key = text(it.key());
        if (!key.startsWith(META_MEMBER_PREFIX)) {
          break;
        }
        out.put(key.substring(META_MEMBER_PREFIX.length()), text(it.value()));
      }
      checkIterator(it);
      return out;
    } finally {
      exit();
    }
  }

  /** Remembers, durably (fsynced), that {@code name} is a member of {@code dc}. Any thread. */
  public void rememberMember(String name, String dc) {
    enter();
    try {
      db.put(meta, metaOptions, bytes(META_MEMBER_PREFIX + name), bytes(dc));
    } catch (RocksDBException e) {
      throw new StoreException("remembering member '" + name + "' failed: " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /** RocksDB's estimate of the live (not yet compacted away) bytes of all node data. */
  public long liveDataSizeBytes() {
    return sumProperty("rocksdb.estimate-live-data-size", counters, dedupe, dedupeExpiry);
  }

  /** RocksDB's estimate of the number of counter keys. */
  public long estimatedCounterKeys() {
    return sumProperty("rocksdb.estimate-num-keys", counters);
  }

  /** RocksDB's estimate of the number of dedupe records. */
  public long estimatedDedupeRecords() {
    return sumProperty("rocksdb.estimate-num-keys", dedupe);
  }

  /** Waits for readers inside RocksDB, syncs the log (so an async-durability node loses nothing on a clean stop) and closes. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    // Queued writes finish first (the node's group commit waited for its own); later ones are refused.
    boolean drained = writer.shutdown(10);
    if (!drained) {
      log.warn("writes to {} still queued after 10s; closing anyway", dir);
    }
    closed = true;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (callsInside.get() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(100_000);
    }
    if (callsInside.get() > 0) {
      log.warn("closing {} with {} calls still inside after 5s", dir, callsInside.get());
    }
    // Export cursors still open (a stream the server did not get to cancel) go before the database.
    cursors.forEach(ExportCursor::closeNative);
    cursors.clear();
    try {
      db.syncWal();
      // Only a close that got everything onto disk may tell the next start it is current.
      if (drained && callsInside.get() == 0) {
        db.put(meta, metaOptions, bytes(META_CLEAN_SHUTDOWN), bytes(Long.toString(epoch)));
      }
    } catch (RocksDBException e) {
      log.warn("syncing the write-ahead log of {} on close failed: {}", dir, e.getMessage());
    }
    handles.forEach(ColumnFamilyHandle::close);
    try {
      db.closeE();
    } catch (RocksDBException e) {
      log.warn("closing {} failed: {}", dir, e.getMessage());
    }
    writeOptions.close();
    sweepOptions.close();
    metaOptions.close();
    closeAll(resources);
    log.info("closed data dir {}", dir);
  }

  // ---- opening ----------------------------------------------------------------------------

  private record Identity(long replicaId, Instant createdAt, long epoch, boolean fresh, boolean clean) {}

  private static void prepareDirectory(Path dir) {
    boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    try {
      if (!Files.exists(dir) && posix) {
        // Owner only: the dir holds every count and the replica id; nobody else needs to enter it.
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectories(dir);
      }
    } catch (IOException e) {
      throw new DataDirException("cannot create data dir " + dir + ": " + e.getMessage(), e);
    }
    if (!Files.isDirectory(dir)) {
      throw new DataDirException("data dir " + dir + " is not a directory");
    }
    if (posix) {
      refuseWritableByOthers(dir);
    }
    if (Files.exists(dir.resolve("CURRENT"))) {
      return;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      // lost+found sits at the root of a freshly formatted volume mounted as the data dir.
      List<String> other = entries.map(p -> p.getFileName().toString()).filter(n -> !n.equals("lost+found"))
          .sorted().limit(5).toList();
      if (!other.isEmpty()) {
        throw new DataDirException("data dir " + dir + " is not empty and holds no tally data (found " + other
            + "); point data-dir at an empty or new directory, or at an existing tally data dir");
      }
    } catch (IOException e) {
      throw new DataDirException("cannot list data dir " + dir + ": " + e, e);
    }
  }

  /**
   * Refuses a data dir that others may write, or a group other than the node's own: anyone who
   * could would be able to replace its files, and with them counts and the replica id, behind the
   * node's back. A dir writable by the node's own group (its primary gid) is accepted: that is
   * how Kubernetes' fsGroup prepares a volume (and re-applies on every mount), and a group the
   * node runs as is the node's.
   */
  static void refuseWritableByOthers(Path dir) {
    Set<PosixFilePermission> perms;
    boolean ownGroup;
    try {
      perms = Files.getPosixFilePermissions(dir);
      ownGroup = perms.contains(PosixFilePermission.GROUP_WRITE) && isOwnGroup(dir);
    } catch (IOException e) {
      throw new DataDirException("cannot read the permissions of data dir " + dir + ": " + e.getMessage(), e);
    }
    boolean others = perms.contains(PosixFilePermission.OTHERS_WRITE);
    if (others || (perms.contains(PosixFilePermission.GROUP_WRITE) && !ownGroup)) {
      throw new DataDirException("data dir " + dir + " is writable by " + (others ? "others" : "a group the node does"
          + " not run as") + " (" + PosixFilePermissions.toString(perms) + "): another local user could change its"
          + " counts; make it the node's own: chmod 700 " + dir);
    }
  }

  /** True when the dir's group is the process's primary group (false where that cannot be told). */
  private static boolean isOwnGroup(Path dir) throws IOException {
    Object gid = Files.getAttribute(dir, "unix:gid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    if (!(gid instanceof Integer g)) {
      return false;
    }
    try {
      return g.longValue() == new com.sun.security.auth.module.UnixSystem().getGid();
    } catch (LinkageError | RuntimeException e) {
      // A runtime without jdk.security.auth: on Linux, /proc/self belongs to the process's uid and gid.
      try {
        return g.equals(Files.getAttribute(Path.of("/proc/self"), "unix:gid"));
      } catch (IOException | RuntimeException notLinux) {
        return false;
      }
    }
  }

  /**
   * Makes the files RocksDB created owner-only (0600). RocksDB creates files with the process's
   * umask; the dir's 0700 is what keeps later ones private, this closes what a looser umask or an
   * older version left open. Best effort: a file that cannot be changed is logged, not fatal.
   */
  private static void restrictFiles(Path dir) {
    if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path file : (Iterable<Path>) entries::iterator) {
        if (Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)
            && !Files.getPosixFilePermissions(file).equals(ownerOnly)) {
          try {
            Files.setPosixFilePermissions(file, ownerOnly);
          } catch (IOException e) {
            log.warn("data dir {}: cannot make {} owner-only (0600): {}", dir, file.getFileName(), e.getMessage());
          }
        }
      }
    } catch (IOException e) {
      log.warn("data dir {}: cannot list it to make its files owner-only (0600): {}", dir, e.getMessage());
    }
  }

  private static List<byte[]> existingFamilies(Path dir) {
    if (!Files.exists(dir.resolve("CURRENT"))) {
      return List.of();
    }
    try (Options options = new Options()) {
      return RocksDB.listColumnFamilies(options, dir.toString());
    } catch (RocksDBException e) {
      throw openFailure(dir, e);
    }
  }

  private static DataDirException openFailure(Path dir, RocksDBException e) {
    String msg = String.valueOf(e.getMessage());
    if (msg.contains("LOCK") || msg.toLowerCase(java.util.Locale.ROOT).contains("lock hold")) {
      return new DataDirException("data dir " + dir + " is in use by another tally node (its RocksDB LOCK is held: "
          + msg + "); stop that node or choose another data-dir", e);
    }
    return new DataDirException("cannot open data dir " + dir + ": " + msg, e);
  }

  private static Identity checkOrCreateIdentity(Path dir, RocksDB db, List<ColumnFamilyHandle> handles,
      String clusterId, Clock clock) {
    ColumnFamilyHandle meta = handles.get(1);
    try {
      byte[] format = db.get(meta, bytes(META_FORMAT));
      if (format == null) {
        for (ColumnFamilyHandle h : handles.subList(2, handles.size())) {
          if (!isEmpty(db, h)) {
            throw new DataDirException("data dir " + dir + " holds data but no tally metadata (" + META_FORMAT
                + " is missing from the meta column family); refusing to guess its replica id");
          }
        }
        // An empty directory (or one whose first open was interrupted before any data was written).
        long replicaId = ReplicaIds.newId();
        Instant createdAt = Instant.ofEpochMilli(clock.currentTimeMillis());
        try (WriteBatch batch = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)) {
          batch.put(meta, bytes(META_FORMAT), bytes(Integer.toString(FORMAT_VERSION)));
          batch.put(meta, bytes(META_CLUSTER_ID), bytes(clusterId));
          batch.put(meta, bytes(META_REPLICA_ID), bytes(ReplicaIds.format(replicaId)));
          batch.put(meta, bytes(META_CREATED_AT), bytes(createdAt.toString()));
          batch.put(meta, bytes(META_EPOCH), bytes("1"));
          db.write(sync, batch);
        }
        log.info("initialised new data dir {} for cluster '{}' with new replica id {}", dir, clusterId,
            ReplicaIds.format(replicaId));
        return new Identity(replicaId, createdAt, 1, true, false);
      }
      String formatText = text(format);
      int version;
      try {
        version = Integer.parseInt(formatText);
      } catch (NumberFormatException e) {
        throw new DataDirException("data dir " + dir + " has an unreadable " + META_FORMAT + " '" + formatText + "'");
      }
      if (version > FORMAT_VERSION) {
        throw new DataDirException("data dir " + dir + " was written by a newer tally (storage format " + version
            + "; this build reads up to " + FORMAT_VERSION + "); run a newer tally on it");
      }
      if (version < 1) {
        throw new DataDirException("data dir " + dir + " has an invalid " + META_FORMAT + " " + version);
      }
      String storedCluster = text(require(db, meta, META_CLUSTER_ID, dir));
      if (!storedCluster.equals(clusterId)) {
        throw new DataDirException("data dir " + dir + " belongs to cluster '" + storedCluster
            + "' but this node is configured with cluster-id '" + clusterId
            + "'; set cluster-id to '" + storedCluster + "' or use another data-dir");
      }
      long replicaId;
      try {
        replicaId = ReplicaIds.parse(text(require(db, meta, META_REPLICA_ID, dir)));
      } catch (IllegalArgumentException e) {
        throw new DataDirException("data dir " + dir + " has an unreadable " + META_REPLICA_ID + ": " + e.getMessage());
      }
      Instant createdAt;
      try {
        createdAt = Instant.parse(text(require(db, meta, META_CREATED_AT, dir)));
      } catch (java.time.format.DateTimeParseException e) {
        throw new DataDirException("data dir " + dir + " has an unreadable " + META_CREATED_AT + ": " + e.getMessage());
      }
      // Dirs from before epochs count as epoch 0, not cleanly closed: their first start rotates once.
      byte[] storedEpoch = db.get(meta, bytes(META_EPOCH));
      long epoch;
      try {
        epoch = storedEpoch == null ? 0 : Long.parseLong(text(storedEpoch));
      } catch (NumberFormatException e) {
        throw new DataDirException("data dir " + dir + " has an unreadable " + META_EPOCH + " '" + text(storedEpoch) + "'");
      }
      boolean clean = db.get(meta, bytes(META_CLEAN_SHUTDOWN)) != null;
      // The new epoch and the "running" mark are synced before anything else is written, so a
      // crash from here on is seen as one by the next start, and a copy of the running dir too.
      try (WriteBatch batch = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)) {
        batch.put(meta, bytes(META_EPOCH), bytes(Long.toString(epoch + 1)));
        batch.delete(meta, bytes(META_CLEAN_SHUTDOWN));
        db.write(sync, batch);
      }
      return new Identity(replicaId, createdAt, epoch + 1, false, clean);
    } catch (RocksDBException e) {
      throw new DataDirException("cannot read the metadata of data dir " + dir + ": " + e.getMessage(), e);
    }
  }

  private static byte[] require(RocksDB db, ColumnFamilyHandle meta, String key, Path dir) throws RocksDBException {
    byte[] v = db.get(meta, bytes(key));
    if (v == null) {
      throw new DataDirException("data dir " + dir + " is missing metadata '" + key + "'");
    }
    return v;
  }

  private static boolean isEmpty(RocksDB db, ColumnFamilyHandle h) {
    try (RocksIterator it = db.newIterator(h)) {
      it.seekToFirst();
      return !it.isValid();
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  void enter() {
    callsInside.incrementAndGet();
    if (closed) {
      callsInside.decrementAndGet();
      throw new StoreException("the store of " + dir + " is closed");
    }
  }

  void exit() {
    callsInside.decrementAndGet();
  }

  private long sumProperty(String property, ColumnFamilyHandle... families) {
    enter();
    try {
      long sum = 0;
      for (ColumnFamilyHandle h : families) {
        sum += db.getLongProperty(h, property);
      }
      return sum;
    } catch (RocksDBException e) {
      throw new StoreException("reading " + property + " failed: " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  static PnCounter decodeState(String key, byte[] value) {
    try {
      return PnCounterCodec.decode(value);
    } catch (IllegalArgumentException e) {
      throw new StoreException("stored state of counter '" + key + "' is corrupt: " + e.getMessage(), e);
    }
  }

  private static void checkIterator(RocksIterator it) {
    try {
      it.status();
    } catch (RocksDBException e) {
      throw new StoreException("iterating the store failed: " + e.getMessage(), e);
    }
  }

  private static byte[] expiryKey(long expiresAtMillis, byte[] id) {
    byte[] k = new byte[8 + id.length];
    for (int i = 0; i < 8; i++) {
      k[i] = (byte) (expiresAtMillis >>> (56 - 8 * i));
    }
    System.arraycopy(id, 0, k, 8, id.length);
    return k;
  }

  private static long readLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        log.debug("closing {} failed", resources.get(i), e);
      }
    }
  }
}
