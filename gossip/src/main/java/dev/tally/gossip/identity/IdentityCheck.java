package dev.tally.gossip.identity;

import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.gossip.time.Clock;
import dev.tally.gossip.time.Scheduler;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The starting side: decides, before the node's first write, whether it may keep writing under
 * its data dir's replica id. It keeps the id when the dir is new, when the node has no peers, or
 * when a majority of its known peers accepted this start's claim ({@link ReplicaClaims}); it takes
 * a new id when the last shutdown was not clean, when any peer refuses, or when no majority answers
 * within the timeout (peers down: nothing can prove the dir current, and guessing loses writes).
 *
 * <p>A new id costs one frozen entry per key the old id wrote; a wrong keep silently loses every
 * increment written until the node catches up. So every doubt rotates.
 *
 * <h2>Concurrency</h2>
 *
 * All state is confined to {@code scheduler}'s thread: answers from the transport hop onto it.
 */
public final class IdentityCheck {
  private static final Duration RETRY = Duration.ofMillis(250);

  private final StartState start;
  private final Supplier<Set<String>> peers;
  private final ClaimSender sender;
  private final Scheduler scheduler;
  private final Clock clock;
  private final long deadlineNanos;
  private final Duration timeout;
  private final CompletableFuture<IdentityDecision> result = new CompletableFuture<>();
  private final Set<String> accepted = new TreeSet<>();
  private final Set<String> inFlight = new HashSet<>();

  private IdentityCheck(StartState start, Supplier<Set<String>> peers, ClaimSender sender, Scheduler scheduler,
      Clock clock, Duration timeout) {
    this.start = start;
    this.peers = peers;
    this.sender = sender;
    this.scheduler = scheduler;
    this.clock = clock;
    this.timeout = timeout;
    this.deadlineNanos = clock.nanoTime() + timeout.toNanos();
  }

  /**
   * Runs the check. {@code peers} is asked again every round, since membership discovers them
   * while the check runs; it must not contain the node itself.
   */
  public static CompletableFuture<IdentityDecision> run(StartState start, Supplier<Set<String>> peers,
      ClaimSender sender, Scheduler scheduler, Clock clock, Duration timeout) {
    IdentityCheck check = new IdentityCheck(start, peers, sender, scheduler, clock, timeout);
    scheduler.execute(check::begin);
    return check.result;
  }

  /** The smallest number of peers whose answers intersect any other such set. */
  static int majority(int peers) {
    return peers / 2 + 1;
  }

  private void begin() {
    if (start.freshDir()) {
      // Nothing to prove; the claim is recorded so that a copy of this dir is caught later.
      peers.get().forEach(p -> sender.send(p, start.claim()));
      result.complete(IdentityDecision.keep("new data dir"));
      return;
    }
    if (!start.clustered()) {
      result.complete(IdentityDecision.keep("no peers: nobody else holds entries of this replica id"));
      return;
    }
    if (!start.lastShutdownClean()) {
      result.complete(IdentityDecision.rotateAfterCrash("the data dir was not shut down cleanly (a crash, a copy of a running "
          + "node's dir, or a backup taken while it ran), so it cannot prove it holds every increment peers hold of "
          + "replica id " + ReplicaIds.format(start.claim().replicaId())));
      return;
    }
    round();
  }

  private void round() {
    if (result.isDone()) {
      return;
    }
    Set<String> known = peers.get();
    if (!known.isEmpty() && accepted.size() >= majority(known.size())) {
      result.complete(IdentityDecision.keep(accepted.size() + " of " + known.size() + " peers " + accepted
          + " confirmed this start (epoch " + start.claim().epoch() + ")"));
      return;
    }
    if (clock.nanoTime() - deadlineNanos >= 0) {
      result.complete(IdentityDecision.rotate("only " + accepted.size() + " of " + known.size() + " known peers "
          + (known.isEmpty() ? "" : known + " ") + "confirmed this start within " + timeout
          + " (a majority is needed to prove the data dir current; peers down?)"));
      return;
    }
    for (String peer : known) {
      if (!accepted.contains(peer) && inFlight.add(peer)) {
        sender.send(peer, start.claim()).whenComplete((answer, error) -> scheduler.execute(() -> {
          inFlight.remove(peer);
          if (answer != null) {
            answered(peer, answer);
          }
        }));
      }
    }
    scheduler.schedule(RETRY, this::round);
  }

  private void answered(String peer, ClaimAnswer answer) {
    if (result.isDone()) {
      return;
    }
    if (!answer.accepted()) {
      result.complete(IdentityDecision.rotate("peer " + peer + " refused: " + answer.reason()));
      return;
    }
    accepted.add(peer);
    Set<String> known = peers.get();
    if (accepted.size() >= majority(known.size())) {
      round();
    }
  }
}
