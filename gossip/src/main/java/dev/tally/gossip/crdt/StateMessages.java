package dev.tally.gossip.crdt;

import dev.tally.peer.v1.CounterState;
import dev.tally.peer.v1.ReplicaEntry;

/** Conversions between {@link PnCounter} and its wire form {@link CounterState}. */
public final class StateMessages {
  private StateMessages() {}

  public static CounterState toMessage(String key, PnCounter state) {
    CounterState.Builder b = CounterState.newBuilder().setKey(key);
    for (int i = 0; i < state.size(); i++) {
      PnCounter.Entry e = state.entryAt(i);
      b.addEntries(ReplicaEntry.newBuilder()
          .setReplica(e.replica()).setP(e.p()).setN(e.n()).setUpdatedAtMs(e.updatedAtMillis()));
    }
    return b.build();
  }

  /**
   * Reads a peer's state. Entries may arrive in any order, but a replica must not repeat.
   *
   * @throws IllegalArgumentException on a repeated or zero replica id
   */
  public static PnCounter fromMessage(CounterState message) {
    int size = message.getEntriesCount();
    if (size == 0) {
      return PnCounter.EMPTY;
    }
    java.util.List<PnCounter.Entry> entries = new java.util.ArrayList<>(size);
    for (ReplicaEntry e : message.getEntriesList()) {
      entries.add(new PnCounter.Entry(e.getReplica(), e.getP(), e.getN(), e.getUpdatedAtMs()));
    }
    return PnCounter.of(entries);
  }
}
