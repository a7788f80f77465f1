package dev.tally.gossip.testing;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.InMemoryStateStore;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import java.util.Collection;
import java.util.TreeMap;
import java.util.function.Consumer;

/** An in-memory store that counts writes and can be told to fail the next write, read or scan. */
public final class CountingStore implements StateStore {
  private final InMemoryStateStore inner = new InMemoryStateStore();
  private int writes;
  private boolean failNext;
  private boolean failNextGet;
  private boolean failNextScan;
  private Consumer<Collection<KeyState>> onWrite = states -> {};

  @Override
  public PnCounter get(String key) {
    if (failNextGet) {
      failNextGet = false;
      throw new StoreException("injected store read failure");
    }
    return inner.get(key);
  }

  @Override
  public void write(Collection<KeyState> states, StoreAttachment attachment) {
    if (failNext) {
      failNext = false;
      throw new StoreException("injected store failure");
    }
    writes++;
    onWrite.accept(states);
    inner.write(states, attachment);
  }

  @Override
  public void scan(long fromHash, long toHashExclusive, Consumer<KeyState> visitor) {
    if (failNextScan) {
      failNextScan = false;
      throw new StoreException("injected store scan failure");
    }
    inner.scan(fromHash, toHashExclusive, visitor);
  }

  public int writes() {
    return writes;
  }

  public int size() {
    return inner.size();
  }

  public void failNextWrite() {
    failNext = true;
  }

  /** Called with every write's states (on the writing thread) just before they are stored. */
  public void onWrite(Consumer<Collection<KeyState>> hook) {
    onWrite = hook;
  }

  /** The next {@link #get} throws a {@link StoreException}. */
  public void failNextGet() {
    failNextGet = true;
  }

  /** The next {@link #scan} throws a {@link StoreException}. */
  public void failNextScan() {
    failNextScan = true;
  }

  public TreeMap<String, PnCounter> dump() {
    TreeMap<String, PnCounter> out = new TreeMap<>();
    inner.scanAll(ks -> out.put(ks.key(), ks.state()));
    return out;
  }
}
