package dev.tally.gossip.testing;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.status.AntiEntropyRound;
import dev.tally.gossip.status.ReplicationObserver;
import java.util.ArrayList;
import java.util.List;

/** Keeps every replication event for assertions. */
public final class RecordingObserver implements ReplicationObserver {
  public final List<String> deltasSent = new ArrayList<>();
  public int statesSent;
  public int acks;
  public int failures;
  public int received;
  public int receivedChanged;
  public final List<String> needsRepair = new ArrayList<>();
  public final List<AntiEntropyRound> rounds = new ArrayList<>();
  public final List<String> roundFailures = new ArrayList<>();
  public final List<String> membership = new ArrayList<>();
  /** Internal errors of scheduled tasks, by task. */
  public final java.util.Map<String, Integer> internalErrors = new java.util.TreeMap<>();
  /** Commit-to-ack delays in nanos, per acknowledged key, in ack order. */
  public final List<Long> delays = new ArrayList<>();

  @Override
  public void deltaSent(String peer, int states, int bytes) {
    deltasSent.add(peer);
    statesSent += states;
  }

  @Override
  public void deltaAcked(String peer, int states, int changed) {
    acks++;
  }

  @Override
  public void deltaDelays(String peer, long[] commitToAckNanos) {
    for (long d : commitToAckNanos) {
      delays.add(d);
    }
  }

  @Override
  public void deltaFailed(String peer, int states, Throwable cause) {
    failures++;
  }

  @Override
  public void deltaReceived(String peer, int states, int changed, int bytes) {
    received += states;
    receivedChanged += changed;
  }

  @Override
  public void peerNeedsRepair(String peer, int droppedKeys) {
    needsRepair.add(peer);
  }

  @Override
  public void antiEntropyCompleted(AntiEntropyRound round) {
    rounds.add(round);
  }

  @Override
  public void antiEntropyFailed(String peer, Throwable cause) {
    roundFailures.add(peer);
  }

  @Override
  public void internalError(String task, Throwable cause) {
    internalErrors.merge(task, 1, Integer::sum);
  }

  /** "peer:key" of every own entry refused as ahead of the local one. */
  public final List<String> ownEntryAhead = new ArrayList<>();
  /** Per peer, entries counted as of replica ids no member announced. */
  public final java.util.Map<String, Integer> unknownEntries = new java.util.TreeMap<>();
  /** "peer:key:entries" of every key refused for passing maxEntriesPerKey. */
  public final List<String> entriesRefused = new ArrayList<>();

  @Override
  public void ownEntryAhead(String peer, String key) {
    ownEntryAhead.add(peer + ":" + key);
  }

  @Override
  public void unknownReplicaEntries(String peer, int entries) {
    unknownEntries.merge(peer, entries, Integer::sum);
  }

  @Override
  public void entriesPerKeyRefused(String peer, String key, int entries) {
    entriesRefused.add(peer + ":" + key + ":" + entries);
  }

  @Override
  public void membershipChanged(Member member, MemberState previous) {
    membership.add(member.name() + ":" + previous + "->" + member.state());
  }
}
