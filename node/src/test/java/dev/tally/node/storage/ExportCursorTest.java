package dev.tally.node.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import dev.tally.node.config.Durability;
import dev.tally.node.testing.ManualClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The export cursor: a snapshot in scan order, resumable after a key, and safe across the store's close. */
class ExportCursorTest {
  @TempDir
  Path dir;

  static List<String> drain(ExportCursor c) {
    List<String> keys = new ArrayList<>();
    for (KeyState ks = c.next(); ks != null; ks = c.next()) {
      keys.add(ks.key() + "=" + ks.state().value());
    }
    return keys;
  }

  static List<KeyState> states(String... keys) {
    List<KeyState> out = new ArrayList<>();
    for (String k : keys) {
      out.add(new KeyState(k, PnCounter.EMPTY.increment(1, k.length(), 1000)));
    }
    return out;
  }

  @Test
  void cursor_seesTheSnapshotOfItsOpening_inScanOrder_andResumesAfterAKey() {
    try (RocksStateStore store = RocksStateStore.open(dir, "c1", Durability.SYNC, new ManualClock(0))) {
      store.write(states("a", "bb", "ccc", "dddd"), StoreAttachment.NONE);
      List<String> scanned = new ArrayList<>();
      ((StateStore) store).scanAll(ks -> scanned.add(ks.key() + "=" + ks.state().value()));

      try (ExportCursor before = store.exportCursor("")) {
        store.write(states("eeeee"), StoreAttachment.NONE);
        assertThat(drain(before)).containsExactlyElementsOf(scanned);
      }
      try (ExportCursor after = store.exportCursor("")) {
        assertThat(drain(after)).hasSize(5).contains("eeeee=5");
      }
      List<String> all = new ArrayList<>();
      store.scanAll(ks -> all.add(ks.key() + "=" + ks.state().value()));
      String second = all.get(1).split("=")[0];
      try (ExportCursor resumed = store.exportCursor(second)) {
        assertThat(drain(resumed)).containsExactlyElementsOf(all.subList(2, all.size()));
      }
    }
  }

  @Test
  void storeClose_closesOpenCursors_whichThenRefuseReads() {
    RocksStateStore store = RocksStateStore.open(dir, "c1", Durability.SYNC, new ManualClock(0));
    store.write(states("a", "bb"), StoreAttachment.NONE);
    ExportCursor open = store.exportCursor("");
    assertThat(open.next()).isNotNull();

    store.close();

    assertThatThrownBy(open::next).isInstanceOf(StoreException.class);
    open.close();
    assertThatThrownBy(() -> store.exportCursor("")).isInstanceOf(StoreException.class);
  }
}
