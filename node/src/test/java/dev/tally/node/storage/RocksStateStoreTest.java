package dev.tally.node.storage;

import dev.tally.gossip.write.DedupeRecord;
import dev.tally.gossip.write.DedupeRecords;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.digest.KeyHash;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import dev.tally.node.config.Durability;
import dev.tally.gossip.write.DedupeRecord.AppliedValue;
import dev.tally.gossip.write.DedupeRecord.Kind;
import dev.tally.node.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

class RocksStateStoreTest {
  private static final long REPLICA = 0x1234L;

  @TempDir
  Path dir;

  private final ManualClock clock = new ManualClock(1_700_000_000_000L);

  private RocksStateStore open(String clusterId) {
    return RocksStateStore.open(dir, clusterId, Durability.SYNC, clock);
  }

  @Test
  void open_emptyDir_createsReplicaIdOnceAndKeepsItAcrossReopen() {
    long first;
    Instant created;
    try (RocksStateStore store = open("c1")) {
      first = store.replicaId();
      created = store.createdAt();
      assertThat(first).isNotZero();
      assertThat(created).isEqualTo(Instant.ofEpochMilli(clock.currentTimeMillis()));
    }
    clock.advance(java.time.Duration.ofHours(1));
    try (RocksStateStore store = open("c1")) {
      assertThat(store.replicaId()).isEqualTo(first);
      assertThat(store.createdAt()).isEqualTo(created);
    }
  }

  @Test
  void open_twoEmptyDirs_drawDifferentReplicaIds(@TempDir Path other) {
    try (RocksStateStore a = open("c1");
        RocksStateStore b = RocksStateStore.open(other, "c1", Durability.SYNC, clock)) {
      assertThat(a.replicaId()).isNotEqualTo(b.replicaId());
    }
  }

  @Test
  void open_otherClusterId_isRefusedNamingBoth() {
    open("blue").close();

    assertThatThrownBy(() -> open("green"))
        .isInstanceOf(DataDirException.class)
        .hasMessageContaining("belongs to cluster 'blue'")
        .hasMessageContaining("cluster-id 'green'");
  }

  @Test
  void open_newerFormat_isRefused() throws Exception {
    open("c1").close();
    overwriteMeta(RocksStateStore.META_FORMAT, "2");

    assertThatThrownBy(() -> open("c1"))
        .isInstanceOf(DataDirException.class)
        .hasMessageContaining("newer tally (storage format 2; this build reads up to 1)");
  }

  @Test
  void open_newerFormatWithExtraColumnFamily_isRefusedClearly() throws Exception {
    open("c1").close();
    overwriteMeta(RocksStateStore.META_FORMAT, "3");
    try (DBOptions options = new DBOptions()) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB db = RocksDB.open(options, dir.toString(), families(), handles)) {
        db.createColumnFamily(new ColumnFamilyDescriptor("from_the_future".getBytes(StandardCharsets.UTF_8))).close();
        handles.forEach(ColumnFamilyHandle::close);
      }
    }

    assertThatThrownBy(() -> open("c1"))
        .isInstanceOf(DataDirException.class)
        .hasMessageContaining("storage format 3");
  }

  @Test
  void open_dirInUse_isRefusedClearly() {
    try (RocksStateStore first = open("c1")) {
      assertThatThrownBy(() -> open("c1"))
          .isInstanceOf(DataDirException.class)
          .hasMessageContaining("is in use by another tally node");
      assertThat(first.get("k")).isEqualTo(PnCounter.EMPTY);
    }
  }

  @Test
  void open_foreignNonEmptyDir_isRefused() throws Exception {
    Files.writeString(dir.resolve("notes.txt"), "hello");

    assertThatThrownBy(() -> open("c1"))
        .isInstanceOf(DataDirException.class)
        .hasMessageContaining("is not empty and holds no tally data")
        .hasMessageContaining("notes.txt");
  }

  @Test
  void open_lostAndFoundOnly_countsAsEmpty() throws Exception {
    Files.createDirectory(dir.resolve("lost+found"));

    try (RocksStateStore store = open("c1")) {
      assertThat(store.replicaId()).isNotZero();
    }
  }

  @Test
  void open_pathIsAFile_isRefused() throws Exception {
    Path file = dir.resolve("file");
    Files.writeString(file, "x");

    assertThatThrownBy(() -> RocksStateStore.open(file, "c1", Durability.SYNC, clock))
        .isInstanceOf(DataDirException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void write_statesAndRecords_surviveReopen() {
    PnCounter a = PnCounter.EMPTY.increment(REPLICA, 5, 10);
    PnCounter b = PnCounter.EMPTY.decrement(REPLICA, 3, 11);
    DedupeRecord record = record("req-1", 10);
    try (RocksStateStore store = open("c1")) {
      store.write(List.of(new KeyState("a", a), new KeyState("b", b)), new DedupeRecords(List.of(record)));
      assertThat(store.get("a")).isEqualTo(a);
    }
    try (RocksStateStore store = open("c1")) {
      assertThat(store.get("a")).isEqualTo(a);
      assertThat(store.get("b").value()).isEqualTo(-3);
      assertThat(store.get("never")).isEqualTo(PnCounter.EMPTY);
      assertThat(store.findDedupe("req-1")).contains(record);
      assertThat(store.findDedupe("req-2")).isEmpty();
    }
  }

  @Test
  void write_unknownAttachment_isRefusedAndWritesNothing() {
    try (RocksStateStore store = open("c1")) {
      StoreAttachment foreign = new StoreAttachment() {};
      assertThatThrownBy(() -> store.write(List.of(new KeyState("a", PnCounter.EMPTY.increment(REPLICA, 1, 1))), foreign))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(store.get("a")).isEqualTo(PnCounter.EMPTY);
    }
  }

  @Test
  void scan_visitsKeysInHashOrderWithinRange() {
    try (RocksStateStore store = open("c1")) {
      List<KeyState> states = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        states.add(new KeyState("key-" + i, PnCounter.EMPTY.increment(REPLICA, i + 1, 1)));
      }
      store.write(states, StoreAttachment.NONE);

      List<String> all = new ArrayList<>();
      store.scanAll(ks -> all.add(ks.key()));
      assertThat(all).hasSize(200);
      assertThat(all).isSortedAccordingTo((x, y) -> Long.compare(hash(x), hash(y)));

      long from = 1L << 31;
      long to = 3L << 30;
      List<String> part = new ArrayList<>();
      store.scan(from, to, ks -> part.add(ks.key()));
      assertThat(part).isNotEmpty().allSatisfy(k -> assertThat(hash(k)).isBetween(from, to - 1));
      assertThat(part).hasSize((int) all.stream().filter(k -> hash(k) >= from && hash(k) < to).count());
    }
  }

  @Test
  void sweepExpiredDedupe_removesOnlyExpired_andKeepsReappliedIds() {
    try (RocksStateStore store = open("c1")) {
      store.write(List.of(), new DedupeRecords(List.of(record("old", 100), record("reused", 100), record("new", 10_000))));
      // "reused" applied again later: a fresh record with a later expiry replaces the first.
      store.write(List.of(), new DedupeRecords(List.of(record("reused", 10_000))));

      int removed = store.sweepExpiredDedupe(500, 100).join();

      assertThat(removed).isEqualTo(2); // index entries of "old" and the first "reused"
      assertThat(store.findDedupe("old")).isEmpty();
      assertThat(store.findDedupe("reused")).isPresent();
      assertThat(store.findDedupe("new")).isPresent();
      assertThat(store.sweepExpiredDedupe(500, 100).join()).isZero();
      assertThat(store.sweepExpiredDedupe(20_000, 1).join()).isEqualTo(1);
      assertThat(store.sweepExpiredDedupe(20_000, 100).join()).isEqualTo(1);
      assertThat(store.findDedupe("reused")).isEmpty();
      assertThat(store.findDedupe("new")).isEmpty();
    }
  }

  @Test
  void close_thenRead_throwsStoreException() {
    RocksStateStore store = open("c1");
    store.close();

    assertThatThrownBy(() -> store.get("a")).isInstanceOf(StoreException.class).hasMessageContaining("closed");
    store.close(); // idempotent
  }

  @Test
  void statistics_areReadable() {
    try (RocksStateStore store = open("c1")) {
      store.write(List.of(new KeyState("a", PnCounter.EMPTY.increment(REPLICA, 1, 1))), StoreAttachment.NONE);
      assertThat(store.estimatedCounterKeys()).isGreaterThanOrEqualTo(1);
      assertThat(store.liveDataSizeBytes()).isGreaterThanOrEqualTo(0);
      assertThat(store.estimatedDedupeRecords()).isZero();
    }
  }

  private static long hash(String key) {
    return Integer.toUnsignedLong(KeyHash.of(key));
  }

  private static DedupeRecord record(String id, long expiresAt) {
    return new DedupeRecord(id, Kind.INCREMENT, "k", "", 1, REPLICA, expiresAt - 50, expiresAt,
        List.of(new AppliedValue(1, expiresAt - 50)));
  }

  private List<ColumnFamilyDescriptor> families() throws Exception {
    List<ColumnFamilyDescriptor> out = new ArrayList<>();
    try (org.rocksdb.Options o = new org.rocksdb.Options()) {
      for (byte[] name : RocksDB.listColumnFamilies(o, dir.toString())) {
        out.add(new ColumnFamilyDescriptor(name));
      }
    }
    return out;
  }

  private void overwriteMeta(String key, String value) throws Exception {
    try (DBOptions options = new DBOptions()) {
      List<ColumnFamilyDescriptor> descriptors = families();
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles)) {
        for (int i = 0; i < descriptors.size(); i++) {
          if (new String(descriptors.get(i).getName(), StandardCharsets.UTF_8).equals(RocksStateStore.CF_META)) {
            db.put(handles.get(i), key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
          }
        }
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
  }

  @Test
  void rememberMember_survivesReopen_andALaterDcReplacesTheEarlierOne() {
    try (RocksStateStore store = open("c1")) {
      assertThat(store.knownMembers()).isEmpty();
      store.rememberMember("n2", "dc1");
      store.rememberMember("n3", "dc2");
      store.rememberMember("n2", "dc9");
    }
    try (RocksStateStore store = open("c1")) {
      assertThat(store.knownMembers()).containsExactly(java.util.Map.entry("n2", "dc9"), java.util.Map.entry("n3", "dc2"));
      assertThat(store.replicaId()).as("member entries do not disturb the identity").isNotZero();
    }
  }
}
