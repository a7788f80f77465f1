package dev.tally.gossip.quorum;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.membership.Member;
import dev.tally.gossip.merge.PeerInput;
import dev.tally.gossip.merge.StateMerger;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StateStore;
import dev.tally.gossip.time.Scheduler;
import dev.tally.gossip.topology.ClusterView;
import dev.tally.gossip.transport.PeerTransport;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReadStatesResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * QUORUM reads and writes inside this node's DC. A majority is {@code dcSize / 2 + 1}, where the
 * DC's size counts every member ever seen in it, alive or not, plus this node, so failures never
 * shrink a quorum. For a write this node always counts as one of the majority: it holds the states
 * durably already. For a read it counts (its own state is merged into the answer) only once it has
 * caught up ({@code caughtUp}: an anti-entropy exchange of its own with a DC peer completed since
 * it started); before that it may be empty after a wipe or behind after a restart, and counting it
 * could make a "majority" that misses an acknowledged QUORUM write, so the read needs a majority
 * of answers from its peers. Peers that have not caught up refuse to answer for the same reason.
 * A QUORUM write acknowledged by a majority and a QUORUM read answered by a majority share at
 * least one member, which is what gives read-your-writes inside a DC.
 *
 * <p>Every live DC peer is asked at once and the operation completes as soon as a majority
 * answered, fails as soon as too many failed, and fails with {@link QuorumException.Reason#TIMED_OUT}
 * after the quorum timeout. A quorum push does not wait for the per-peer delta stream (which allows
 * one push in flight): it is sent at once, beside it.
 *
 * <p>Concurrency: confined to the replica thread; replies are handed back with
 * {@link Scheduler#execute}. Result futures are completed on the replica thread: callers must not
 * block in their callbacks.
 */
public final class QuorumCoordinator {
  private final NodeRef self;
  private final Duration timeout;
  private final Scheduler scheduler;
  private final StateStore store;
  private final PeerTransport transport;
  private final ClusterView view;
  private final StateMerger merger;
  private final java.util.function.BooleanSupplier caughtUp;
  private final int maxMessageBytes;
  private final Set<Operation<?>> running = new LinkedHashSet<>();
  private boolean closed;

  public QuorumCoordinator(NodeRef self, Duration timeout, Scheduler scheduler, StateStore store,
      PeerTransport transport, ClusterView view, StateMerger merger, java.util.function.BooleanSupplier caughtUp,
      int maxMessageBytes) {
    this.self = self;
    this.timeout = timeout;
    this.scheduler = scheduler;
    this.store = store;
    this.transport = transport;
    this.view = view;
    this.merger = merger;
    this.caughtUp = caughtUp;
    this.maxMessageBytes = maxMessageBytes;
  }

  /**
   * Reads the keys from a majority of the DC, merges what comes back into the local state durably
   * (read repair) and completes {@code result} with the merged states, one per key, in order.
   */
  public void read(List<String> keys, CompletableFuture<List<KeyState>> result) {
    ReadOperation op = new ReadOperation(keys, result);
    if (op.begin()) {
      for (String peer : op.asked) {
        op.ask(peer, 0);
      }
    }
  }

  /**
   * Pushes the current states of the keys to every live DC peer and completes {@code result} once a
   * majority of the DC, this node included, holds them durably.
   *
   * @throws IllegalStateException if a state is not yet held by this node's store (commit first)
   */
  public void write(List<KeyState> states, CompletableFuture<Void> result) {
    Set<String> keys = new LinkedHashSet<>();
    DeltaBatch.Builder batch = DeltaBatch.newBuilder().setFrom(self);
    for (KeyState ks : states) {
      PnCounter local = store.get(ks.key());
      if (!local.covers(ks.state())) {
        throw new IllegalStateException("the state of key '" + ks.key() + "' is not committed on this node;"
            + " commit it before replicating it to a quorum");
      }
      if (keys.add(ks.key())) {
        batch.addStates(StateMessages.toMessage(ks.key(), local));
      }
    }
    DeltaBatch message = batch.build();
    WriteOperation op = new WriteOperation(result);
    if (op.begin()) {
      for (String peer : op.asked) {
        transport.pushDelta(peer, message).whenComplete((ack, error) ->
            scheduler.execute(() -> op.onReply(peer, error)));
      }
    }
  }

  /** Fails every running operation and starts no more. */
  public void close() {
    closed = true;
    for (Operation<?> op : new ArrayList<>(running)) {
      op.fail(new IllegalStateException("the replica was closed before the quorum was reached"));
    }
  }

  private abstract class Operation<T> {
    final CompletableFuture<T> result;
    final String name;
    final int dcSize = view.dcSize();
    final int needed = dcSize / 2 + 1;
    final List<String> asked = new ArrayList<>();
    /** 1 when this node counts itself, else 0. */
    final int selfAck;
    int acks;
    int failures;
    /** What the first few failed peers said, for the message. */
    final List<String> failed = new ArrayList<>();
    Scheduler.Cancellable timer;

    Operation(String name, CompletableFuture<T> result, boolean selfCounted) {
      this.name = name;
      this.result = result;
      this.selfAck = selfCounted ? 1 : 0;
      this.acks = selfAck;
    }

    QuorumException failure(QuorumException.Reason reason, String detail) {
      return new QuorumException(reason, name, self.getDc(), acks, needed, dcSize, selfAck == 1, detail);
    }

    /** Returns true when peers must be asked; otherwise the result is already settled. */
    boolean begin() {
      if (closed) {
        result.completeExceptionally(new IllegalStateException("the replica is closed"));
        return false;
      }
      for (Member m : view.liveDcPeers()) {
        asked.add(m.name());
      }
      if (asked.size() + selfAck < needed) {
        result.completeExceptionally(failure(QuorumException.Reason.TOO_FEW_ALIVE,
            "only " + (asked.size() + 1) + " members of the DC are alive" + afterFailure()));
        return false;
      }
      if (acks >= needed) {
        succeed();
        return false;
      }
      running.add(this);
      timer = scheduler.schedule(timeout, () -> {
        if (!result.isDone()) {
          fail(failure(QuorumException.Reason.TIMED_OUT,
              "the quorum timeout of " + timeout.toMillis() + " ms passed" + failedPeers() + afterFailure()));
        }
      });
      return true;
    }

    void onAck() {
      acks++;
      if (acks >= needed) {
        succeed();
      }
    }

    void onFailure(String peer, Throwable error) {
      failures++;
      if (failed.size() < 3) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause() : error;
        failed.add(peer + ": " + cause.getMessage());
      }
      if (asked.size() - failures + selfAck < needed) {
        fail(failure(QuorumException.Reason.PEERS_FAILED,
            failures + " of the " + asked.size() + " live peers asked failed to answer" + failedPeers() + afterFailure()));
      }
    }

    private String failedPeers() {
      return failed.isEmpty() ? "" : " (" + String.join("; ", failed) + (failures > failed.size() ? "; ..." : "") + ")";
    }

    void succeed() {
      finish();
      try {
        complete();
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    }

    void fail(Throwable error) {
      finish();
      result.completeExceptionally(error);
    }

    private void finish() {
      running.remove(this);
      if (timer != null) {
        timer.cancel();
      }
    }

    boolean settled() {
      return result.isDone() || closed;
    }

    abstract void complete();

    abstract String afterFailure();
  }

  /**
   * A QUORUM read pages by bytes: each request to a peer carries as many of the remaining keys as
   * fit in maxMessageBytes, a peer may answer only the first of them (to keep its reply under its
   * own cap), and the next request starts after the last key answered. A peer counts once it has
   * answered every key.
   */
  private final class ReadOperation extends Operation<List<KeyState>> {
    private final List<String> keys;
    private final List<KeyState> answers = new ArrayList<>();
    /** Per asked peer, the first key of the page in flight; a reply for another page is ignored. */
    private final java.util.Map<String, Integer> pageStart = new java.util.HashMap<>();
    private NodeRef someResponder;

    ReadOperation(List<String> keys, CompletableFuture<List<KeyState>> result) {
      super("QUORUM read", result, caughtUp.getAsBoolean());
      this.keys = keys;
    }

    void ask(String peer, int from) {
      ReadStatesRequest.Builder request = ReadStatesRequest.newBuilder().setFrom(self);
      int bytes = request.build().getSerializedSize();
      int to = from;
      while (to < keys.size()) {
        int keyBytes = com.google.protobuf.CodedOutputStream.computeStringSize(
            ReadStatesRequest.KEYS_FIELD_NUMBER, keys.get(to));
        if (to > from && bytes + keyBytes > maxMessageBytes) {
          break;
        }
        bytes += keyBytes;
        request.addKeys(keys.get(to));
        to++;
      }
      pageStart.put(peer, from);
      int end = to;
      transport.readStates(peer, request.build()).whenComplete((response, error) ->
          scheduler.execute(() -> onReadReply(peer, from, end, response, error)));
    }

    void onReadReply(String peer, int from, int to, ReadStatesResponse response, Throwable error) {
      Integer expected = pageStart.get(peer);
      if (settled() || expected == null || expected != from) {
        return;
      }
      if (error != null) {
        pageStart.remove(peer);
        onFailure(peer, error);
        return;
      }
      List<KeyState> states;
      try {
        states = PeerInput.states(response.getStatesList(), "states");
        int asked = to - from;
        if (states.size() > asked || (states.isEmpty() && asked > 0)) {
          throw new IllegalArgumentException("peer " + peer + " answered " + states.size() + " states for " + asked
              + " keys (want 1.." + asked + ")");
        }
        for (int i = 0; i < states.size(); i++) {
          if (!states.get(i).key().equals(keys.get(from + i))) {
            throw new IllegalArgumentException("peer " + peer + " answered key '" + states.get(i).key()
                + "' at position " + (from + i) + " instead of '" + keys.get(from + i) + "'");
          }
        }
      } catch (IllegalArgumentException e) {
        pageStart.remove(peer);
        onFailure(peer, e);
        return;
      }
      for (KeyState ks : states) {
        if (!ks.state().isEmpty()) {
          answers.add(ks);
        }
      }
      int next = from + states.size();
      if (next < keys.size()) {
        ask(peer, next);
        return;
      }
      pageStart.remove(peer);
      Member m = view.peer(peer);
      someResponder = NodeRef.newBuilder().setName(peer).setDc(m == null ? self.getDc() : m.dc()).build();
      onAck();
    }

    @Override
    void complete() {
      // Read repair first: the answer is read from the store once the merge is durable here.
      CompletableFuture<Integer> merged = answers.isEmpty()
          ? CompletableFuture.completedFuture(0) : merger.merge(answers, someResponder);
      merged.whenComplete((changed, error) -> {
        if (error != null) {
          result.completeExceptionally(error);
          return;
        }
        List<KeyState> out = new ArrayList<>(keys.size());
        for (String key : keys) {
          out.add(new KeyState(key, store.get(key)));
        }
        result.complete(out);
      });
    }

    @Override
    String afterFailure() {
      return "";
    }
  }

  private final class WriteOperation extends Operation<Void> {
    private final Set<String> answered = new HashSet<>();

    WriteOperation(CompletableFuture<Void> result) {
      super("QUORUM write", result, true);
    }

    void onReply(String peer, Throwable error) {
      if (settled() || !answered.add(peer)) {
        return;
      }
      if (error != null) {
        onFailure(peer, error);
      } else {
        onAck();
      }
    }

    @Override
    void complete() {
      result.complete(null);
    }

    @Override
    String afterFailure() {
      return "; the write is applied and durable on this node and keeps replicating, and a retry with the same"
          + " request_id is safe";
    }
  }
}
