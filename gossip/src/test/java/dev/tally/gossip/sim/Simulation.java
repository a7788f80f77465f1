package dev.tally.gossip.sim;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.engine.LocalWrite;
import dev.tally.gossip.engine.PreparedWrites;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.gossip.engine.ReplicaListener;
import dev.tally.gossip.engine.WriteResult;
import dev.tally.gossip.quorum.QuorumException;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.store.StoreException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;

/**
 * One deterministic run of a simulated cluster, modelled on TigerBeetle's VOPR. The seed picks
 * everything ({@link SimParams}, network faults, the fault schedule, the workload, every replica's
 * randomness); virtual time moves only by events.
 *
 * <ol>
 *   <li>Safety phase: every node writes (prepare/commit, an op acknowledged when commit returns;
 *       or, for half the ops, pipelined as the node's group commit does: prepare/stage, the write
 *       lands later on the simulated store writer thread, acknowledged once it has),
 *       some writes are also replicated to a QUORUM and some QUORUM reads run, while the nemesis
 *       partitions the network (majority/minority, one node isolated, bridge, DC split, one-way),
 *       loses, duplicates and delays messages, crashes and restarts nodes, and wipes disks. Checked
 *       as it goes: no store ever holds more of a replica's entry than that replica wrote; a
 *       successful QUORUM read covers every QUORUM write of its DC acknowledged before it started;
 *       no peer ever rejects another's message as invalid; no engine task throws.
 *   <li>Liveness phase: faults off, partitions healed, down nodes restarted, writes stopped.
 *       Within {@link SimParams#livenessLimitMillis} of simulated time every node must hold
 *       identical states whose every replica entry, and so every value, is exactly what the
 *       acknowledged operations add up to.
 * </ol>
 */
final class Simulation {
  private static final long MS = 1_000_000L;

  private final long seed;
  private final SimParams params;
  private final SimWorld world;
  private final Ledger ledger = new Ledger();
  private final Map<String, SimNode> nodes = new LinkedHashMap<>();
  private final SimNetwork network;
  private final SplittableRandom faultRandom;
  private final SplittableRandom workloadRandom;
  private final SplittableRandom engineRandom;
  private final SplittableRandom clockRandom;
  private final SplittableRandom storeRandom;
  /** Picks commit or pipelined (stage, land later) for each local op, and the simulated I/O delay. */
  private final SplittableRandom pipelineRandom;
  private final List<String> faultLog = new ArrayList<>();
  private final List<String> keys = new ArrayList<>();
  private boolean safetyPhase = true;
  private int quorumWritesFailed;
  private int writesFailed;
  private int quorumReadsOk;
  private int quorumReadsFailed;
  private int wipes;
  private int crashes;

  Simulation(long seed, boolean tracing, PrintStream out) {
    this.seed = seed;
    SplittableRandom root = new SplittableRandom(seed);
    this.params = SimParams.random(root.split());
    this.world = new SimWorld(tracing, out);
    this.faultRandom = root.split();
    this.workloadRandom = root.split();
    this.engineRandom = root.split();
    this.clockRandom = root.split();
    this.storeRandom = root.split();
    for (int i = 1; i <= params.nodes(); i++) {
      // Round-robin over DCs so every DC has at least one node.
      String dc = "dc" + (1 + (i - 1) % params.dcs());
      SimNode node = new SimNode("n" + i, dc);
      nodes.put(node.name, node);
    }
    this.network = new SimNetwork(world, root.split(), nodes, params.rpcDeadlineMillis());
    SplittableRandom keyRandom = root.split();
    for (int i = 0; i < params.keys(); i++) {
      int kind = keyRandom.nextInt(10);
      keys.add(kind == 0 ? "ключ-" + i : kind == 1 ? "k".repeat(1 + keyRandom.nextInt(300)) + i : "key-" + i);
    }
    // Split last, so the streams above (and the seeds' fault schedules) stay as they were.
    this.pipelineRandom = root.split();
  }

  SimParams params() {
    return params;
  }

  SimResult run() {
    for (SimNode node : nodes.values()) {
      node.store = newStore(node);
      node.replicaId = newReplicaId();
      boot(node);
    }
    for (SimNode node : nodes.values()) {
      scheduleNextOp(node);
    }
    world.schedule(null, nextFaultGap(), this::nemesis);
    long safetyEnd = params.safetyMillis() * MS;
    world.runUntil(safetyEnd);
    if (world.failure() != null) {
      return result(false, world.failure(), -1);
    }
    heal();
    long deadline = safetyEnd + params.livenessLimitMillis() * MS;
    while (world.now() < deadline) {
      world.runUntil(world.now() + 100 * MS);
      if (world.failure() != null) {
        return result(false, world.failure(), -1);
      }
      if (divergence() == null) {
        return result(true, null, world.now() - safetyEnd);
      }
    }
    return result(false, "no convergence within " + params.livenessLimitMillis() + " ms of the heal: " + divergence(), -1);
  }

  // ------------------------------------------------------------------ nodes

  private CheckingStore newStore(SimNode node) {
    CheckingStore store = new CheckingStore(world, ledger, node.name, storeRandom.split());
    store.failWrites(params.storeFailureRate());
    return store;
  }

  private long newReplicaId() {
    long id;
    do {
      id = engineRandom.nextLong();
    } while (id == 0);
    return id;
  }

  private void boot(SimNode node) {
    Incarnation inc = new Incarnation(node, ++node.incarnations);
    node.current = inc;
    SimScheduler scheduler = new SimScheduler(world, inc);
    SimClock clock = new SimClock(world, clockRandom.nextLong(1L << 50), (clockRandom.nextInt(101) - 50) * MS);
    inc.membership = new SimMembership(world, network, inc, nodes, new SplittableRandom(engineRandom.nextLong()), params);
    ReplicaConfig config = new ReplicaConfig(node.name, node.dc, node.replicaId,
        Duration.ofMillis(params.gossipMillis()), params.maxDeltaKeys(), params.maxPendingKeys(),
        Duration.ofMillis(params.antiEntropyMillis()), params.treeDepth(), params.remoteDcFanout(),
        Duration.ofMillis(params.quorumTimeoutMillis()));
    inc.replica = new Replica(config, clock, scheduler, node.store, network.transportFor(inc), inc.membership,
        new SplittableRandom(engineRandom.nextLong()), ReplicaListener.NONE);
    inc.membership.start();
    inc.replica.start().whenComplete((v, e) -> {
      if (e != null) {
        world.fail(inc + " failed to start: " + e);
      }
    });
    world.trace(node.name, () -> "started as " + inc + " with replica " + Long.toHexString(node.replicaId));
  }

  private void crash(SimNode node, String why) {
    Incarnation inc = node.current;
    if (inc == null) {
      return;
    }
    inc.alive = false;
    node.current = null;
    // Pipelined writes still queued die with the process; they were never acknowledged.
    node.store.loseQueued();
    crashes++;
    log(why + " " + node.name);
  }

  // ------------------------------------------------------------------ workload

  private void scheduleNextOp(SimNode node) {
    long gap = 1 + (long) (-Math.log(1 - workloadRandom.nextDouble()) * params.meanOpGapMillis() * MS);
    world.schedule(null, gap, () -> {
      if (!safetyPhase) {
        return;
      }
      Incarnation inc = node.current;
      if (inc != null && !node.draining) {
        // The op runs as a task on the node's replica thread, as the node's group commit would.
        world.schedule(inc, 0, () -> operate(node, inc));
      }
      scheduleNextOp(node);
    });
  }

  private void operate(SimNode node, Incarnation inc) {
    if (workloadRandom.nextDouble() < params.quorumReadRate()) {
      quorumRead(node, inc);
      return;
    }
    Replica replica = inc.replica;
    List<LocalWrite> writes = new ArrayList<>();
    int count = 1 + workloadRandom.nextInt(3);
    for (int w = 0; w < count; w++) {
      List<CounterChange> changes = new ArrayList<>();
      int n = 1 + (workloadRandom.nextInt(4) == 0 ? workloadRandom.nextInt(4) : 0);
      for (int c = 0; c < n; c++) {
        long amount = workloadRandom.nextInt(20) == 0 ? 1 + workloadRandom.nextInt(1_000_000) : 1 + workloadRandom.nextInt(5);
        changes.add(new CounterChange(pickKey(), amount, workloadRandom.nextInt(10) < 3));
      }
      writes.add(new LocalWrite(changes));
    }
    PreparedWrites prepared = replica.prepare(writes);
    List<KeyState> applied = new ArrayList<>();
    List<CounterChange> owed = new ArrayList<>();
    for (int i = 0; i < writes.size(); i++) {
      if (prepared.results().get(i) instanceof WriteResult.Applied a) {
        owed.addAll(writes.get(i).changes());
        applied.addAll(a.states());
      } else {
        world.fail(node.name + " rejected a small write: " + prepared.results().get(i));
      }
    }
    owed.forEach(change -> ledger.applied(node.replicaId, change));
    if (pipelineRandom.nextBoolean()) {
      pipelined(node, inc, prepared, owed, applied, writes);
      return;
    }
    try {
      replica.commit(prepared, StoreAttachment.NONE);
    } catch (StoreException e) {
      // Not acknowledged: the store wrote nothing, so the ops are owed to nobody.
      owed.forEach(change -> ledger.revoke(node.replicaId, change));
      writesFailed++;
      return;
    }
    world.trace(node.name, () -> "committed " + writes);
    acknowledged(node, replica, applied);
  }

  /**
   * The node's pipelined group commit: stage the group and hand it to the store's writer thread,
   * which lands it after an I/O delay (or earlier, when a merge or commit writes behind it); the
   * engine publishes it once it has landed, and drops it (and whatever was staged after it) if it
   * failed.
   */
  private void pipelined(SimNode node, Incarnation inc, PreparedWrites prepared, List<CounterChange> owed,
      List<KeyState> applied, List<LocalWrite> writes) {
    CheckingStore store = node.store;
    store.writeAsync(prepared.after(), StoreAttachment.NONE).whenComplete((nanos, error) -> {
      if (error == null) {
        world.schedule(inc, 0, () -> {
          inc.replica.durable(prepared);
          world.trace(node.name, () -> "pipelined write durable " + writes);
          acknowledged(node, inc.replica, applied);
        });
        return;
      }
      // Never written, and never will be (failed, skipped or lost in a crash): owed to nobody.
      owed.forEach(change -> ledger.revoke(node.replicaId, change));
      writesFailed++;
      world.schedule(inc, 0, () -> {
        if (inc.replica.abandon(prepared)) {
          store.clearFailedWrites();
        }
      });
    });
    inc.replica.stage(prepared);
    world.trace(node.name, () -> "staged " + writes);
  }

  private void acknowledged(SimNode node, Replica replica, List<KeyState> applied) {
    if (!applied.isEmpty() && workloadRandom.nextDouble() < params.quorumWriteRate()) {
      replica.replicateToQuorum(applied).whenComplete((v, e) -> {
        if (e == null) {
          ledger.quorumAcked(node.dc, world.now(), applied);
          world.trace(node.name, "QUORUM write acknowledged");
        } else {
          quorumWritesFailed++;
          expectQuorumFailure(node, "write", e);
        }
      });
    }
  }

  private void quorumRead(SimNode node, Incarnation inc) {
    Set<String> picked = new HashSet<>();
    int n = 1 + workloadRandom.nextInt(3);
    for (int i = 0; i < n; i++) {
      picked.add(pickKey());
    }
    List<String> readKeys = new ArrayList<>(picked);
    Map<String, PnCounter> owed = new TreeMap<>();
    for (String key : readKeys) {
      owed.put(key, ledger.quorumAcked(node.dc, key));
    }
    long started = world.now();
    inc.replica.quorumRead(readKeys).whenComplete((states, e) -> {
      if (e != null) {
        quorumReadsFailed++;
        expectQuorumFailure(node, "read", e);
        return;
      }
      quorumReadsOk++;
      for (KeyState ks : states) {
        PnCounter want = owed.get(ks.key());
        if (want == null || !ks.state().covers(want)) {
          world.fail("QUORUM read of '" + ks.key() + "' at " + node.name + " (started " + SimWorld.time(started)
              + ") returned " + ks.state() + ", missing QUORUM writes of " + node.dc
              + " acknowledged before it started: " + want);
        }
      }
    });
  }

  private void expectQuorumFailure(SimNode node, String what, Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (!(cause instanceof QuorumException) && !(cause instanceof StoreException)) {
      world.fail("QUORUM " + what + " at " + node.name + " failed with " + cause + " instead of a QuorumException");
    }
    world.trace(node.name, () -> "QUORUM " + what + " failed: " + cause.getMessage());
  }

  private String pickKey() {
    // A few hot keys take most writes, as on a real like button.
    if (workloadRandom.nextInt(3) == 0) {
      return keys.get(workloadRandom.nextInt(Math.min(3, keys.size())));
    }
    return keys.get(workloadRandom.nextInt(keys.size()));
  }

  // ------------------------------------------------------------------ nemesis

  private long nextFaultGap() {
    return 1 + (long) (-Math.log(1 - faultRandom.nextDouble()) * params.meanFaultGapMillis() * MS);
  }

  private void nemesis() {
    if (!safetyPhase) {
      return;
    }
    List<SimNode> all = new ArrayList<>(nodes.values());
    List<SimNode> up = new ArrayList<>();
    List<SimNode> down = new ArrayList<>();
    for (SimNode n : all) {
      (n.up() ? up : down).add(n);
    }
    int roll = faultRandom.nextInt(100);
    if (roll < 25) {
      partition(all);
    } else if (roll < 40) {
      if (network.connectivity() != Connectivity.FULL) {
        network.setConnectivity(Connectivity.FULL);
        log("heal partition");
      }
    } else if (roll < 55) {
      if (down.size() < (all.size() - 1) / 2 + 1 && !up.isEmpty()) {
        SimNode victim = up.get(faultRandom.nextInt(up.size()));
        crash(victim, "crash");
        long downtime = (50 + faultRandom.nextInt(3000)) * MS;
        world.schedule(null, downtime, () -> {
          if (safetyPhase && !victim.up()) {
            boot(victim);
            log("restart " + victim.name);
          }
        });
      }
    } else if (roll < 62) {
      SimNode victim = all.get(faultRandom.nextInt(all.size()));
      if (!victim.draining) {
        victim.draining = true;
        log("drain " + victim.name + " for a wipe");
        tryWipe(victim, world.now() + 3000 * MS);
      }
    } else if (roll < 80) {
      double[] drops = {0, 0, 0.01, 0.05, 0.2};
      double[] dups = {0, 0, 0.02, 0.1};
      double[] slows = {0, 0.01, 0.05, 0.15};
      network.setFaults(drops[faultRandom.nextInt(drops.length)], dups[faultRandom.nextInt(dups.length)],
          slows[faultRandom.nextInt(slows.length)]);
      log("network " + network.faults());
    }
    world.schedule(null, nextFaultGap(), this::nemesis);
  }

  private void partition(List<SimNode> all) {
    List<String> names = new ArrayList<>();
    for (SimNode n : all) {
      names.add(n.name);
    }
    shuffle(names);
    int kind = faultRandom.nextInt(5);
    Connectivity c;
    if (kind == 0) {
      int minority = 1 + faultRandom.nextInt(Math.max(1, (names.size() - 1) / 2));
      c = Connectivity.groups("majority/minority", List.of(names.subList(minority, names.size()), names.subList(0, minority)));
    } else if (kind == 1) {
      c = Connectivity.groups("isolate", List.of(names.subList(1, names.size()), names.subList(0, 1)));
    } else if (kind == 2 && names.size() >= 3) {
      int split = 1 + faultRandom.nextInt(names.size() - 2);
      c = Connectivity.bridge(names.subList(1, split + 1), names.subList(split + 1, names.size()), names.get(0));
    } else if (kind == 3 && params.dcs() > 1) {
      Map<String, List<String>> byDc = new TreeMap<>();
      for (SimNode n : all) {
        byDc.computeIfAbsent(n.dc, d -> new ArrayList<>()).add(n.name);
      }
      c = Connectivity.groups("dc split", new ArrayList<>(byDc.values()));
    } else {
      int receivers = 1 + faultRandom.nextInt(names.size() - 1);
      c = Connectivity.oneWay(names.get(0), names.subList(1, 1 + receivers));
    }
    network.setConnectivity(c);
    log("partition " + c.description());
  }

  /**
   * Wipes a node's disk once every other node covers its whole state. Only then is the exact
   * invariant still owed: the wiped node's acknowledged writes survive only in the copies the others
   * hold, and DESIGN.md promises nothing for writes that never left a node whose disk is lost.
   */
  private void tryWipe(SimNode victim, long giveUpAt) {
    if (!safetyPhase) {
      victim.draining = false;
      return;
    }
    if (coveredByAllOthers(victim)) {
      if (victim.up()) {
        crash(victim, "wipe");
      } else {
        log("wipe " + victim.name + " (down)");
      }
      victim.store = newStore(victim);
      if (nodes.values().stream().filter(n -> n.dc.equals(victim.dc)).count() == 1) {
        // The coverage rule keeps every write alive in other DCs, but a QUORUM read in a one-node
        // DC asks only this node: its earlier QUORUM writes are no longer owed to such reads.
        ledger.forgetQuorumAcks(victim.dc);
      }
      victim.replicaId = newReplicaId();
      victim.draining = false;
      wipes++;
      long downtime = (50 + faultRandom.nextInt(2000)) * MS;
      world.schedule(null, downtime, () -> {
        if (safetyPhase && !victim.up()) {
          boot(victim);
          log("restart wiped " + victim.name + " as replica " + Long.toHexString(victim.replicaId));
        }
      });
      return;
    }
    if (world.now() >= giveUpAt) {
      victim.draining = false;
      log("wipe of " + victim.name + " skipped (the others never covered it)");
      return;
    }
    world.schedule(null, 100 * MS, () -> tryWipe(victim, giveUpAt));
  }

  private boolean coveredByAllOthers(SimNode victim) {
    TreeMap<String, PnCounter> mine = victim.store.dump();
    for (SimNode other : nodes.values()) {
      if (other == victim) {
        continue;
      }
      for (Map.Entry<String, PnCounter> e : mine.entrySet()) {
        if (!other.store.get(e.getKey()).covers(e.getValue())) {
          return false;
        }
      }
    }
    return true;
  }

  private void shuffle(List<String> list) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = faultRandom.nextInt(i + 1);
      String t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }

  private void log(String event) {
    faultLog.add(SimWorld.time(world.now()) + " " + event);
    world.trace("nemesis", event);
  }

  // ------------------------------------------------------------------ liveness

  private void heal() {
    safetyPhase = false;
    network.setConnectivity(Connectivity.FULL);
    network.setFaults(0, 0, 0);
    for (SimNode n : nodes.values()) {
      n.store.failWrites(0);
    }
    for (SimNode n : nodes.values()) {
      n.draining = false;
      if (!n.up()) {
        boot(n);
      }
    }
    log("heal everything, stop writes");
  }

  /** Null when every node holds exactly the acknowledged totals; otherwise what is still wrong. */
  private String divergence() {
    TreeMap<String, PnCounter> reference = null;
    SimNode referenceNode = null;
    for (SimNode n : nodes.values()) {
      if (!n.up()) {
        return n.name + " is down";
      }
      TreeMap<String, PnCounter> states = n.store.dump();
      if (reference == null) {
        reference = states;
        referenceNode = n;
      } else if (!states.equals(reference)) {
        for (String key : ledger.expected().keySet()) {
          PnCounter a = reference.getOrDefault(key, PnCounter.EMPTY);
          PnCounter b = states.getOrDefault(key, PnCounter.EMPTY);
          if (!a.equals(b)) {
            return referenceNode.name + " and " + n.name + " differ on '" + key + "': " + a + " vs " + b;
          }
        }
        return referenceNode.name + " and " + n.name + " hold different key sets";
      }
    }
    for (Map.Entry<String, Long> e : ledger.expected().entrySet()) {
      String problem = ledger.inexact(e.getKey(), reference.getOrDefault(e.getKey(), PnCounter.EMPTY));
      if (problem != null) {
        return problem;
      }
    }
    if (!ledger.expected().keySet().containsAll(reference.keySet())) {
      return "nodes hold keys nobody wrote";
    }
    return null;
  }

  private SimResult result(boolean ok, String failure, long convergeNanos) {
    return new SimResult(seed, ok, failure, params.toString(), List.copyOf(faultLog), ledger.operations(), writesFailed,
        ledger.quorumAckCount(), quorumWritesFailed, quorumReadsOk, quorumReadsFailed, crashes, wipes,
        world.processed(), convergeNanos / MS, network.stats());
  }
}
