package dev.tally.gossip.sim;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.engine.ReplicaConfig;
import dev.tally.gossip.engine.ReplicaListener;
import dev.tally.gossip.failover.BackgroundResolver;
import dev.tally.gossip.failover.FailoverCoordinator;
import dev.tally.gossip.failover.FailoverMetrics;
import dev.tally.gossip.failover.ResolveResponder;
import dev.tally.gossip.failover.ResolveSender;
import dev.tally.gossip.failover.RetryHorizon;
import dev.tally.peer.v1.NodeRef;
import dev.tally.gossip.identity.ClaimRecords;
import dev.tally.gossip.identity.IdentityCheck;
import dev.tally.gossip.identity.IdentityDecision;
import dev.tally.gossip.identity.ReplicaIdAuthority;
import dev.tally.gossip.identity.ReplicaClaim;
import dev.tally.gossip.identity.ReplicaClaims;
import dev.tally.gossip.identity.StartState;
import dev.tally.gossip.quorum.QuorumException;
import dev.tally.gossip.status.ReplicationObserver;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.testing.SimulatedStore;
import dev.tally.gossip.testing.SimulatedStore.Fault;
import dev.tally.gossip.write.GroupCommitWriter;
import dev.tally.gossip.write.WriteException;
import dev.tally.gossip.write.WriteMetrics;
import dev.tally.gossip.write.WriteOutcome;
import dev.tally.gossip.write.WriteRequest;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;

/**
 * One deterministic run of a simulated cluster, modelled on TigerBeetle's VOPR. The seed picks
 * everything ({@link SimParams}, network faults, the fault schedule, the workload, every replica's
 * randomness); virtual time moves only by events.
 *
 * <p>Each node runs the node's own write path: client writes go to a {@link GroupCommitWriter}
 * (dedupe, group commit with coalescing, staging, dedupe records, ack) over the engine's
 * {@link Replica}, and the store is a {@link SimulatedStore} with the node's store contract and a
 * disk that fails: transient write errors, a full disk or I/O error that lasts until repaired,
 * fsync errors whose write may come back after a restart, slow writes that back the queue up, and
 * crashes right after a write reached the log but before it was acknowledged. Every start runs
 * the node's replica-id check ({@link IdentityCheck} against the peers' {@link ReplicaClaims},
 * over the simulated network) and takes no write before it settles; the nemesis stops nodes
 * cleanly, backs up a down node's whole dir and later puts the backup back, so a dir goes back in
 * time while its peers hold newer entries of its replica id.
 *
 * <ol>
 *   <li>Safety phase: every node takes writes (some with request ids, retried on the same node
 *       after a store failure or a crash, as a client would), some of them replicated to a QUORUM,
 *       and some QUORUM reads, while the nemesis partitions the network (majority/minority, one
 *       node isolated, bridge, DC split, one-way), loses, duplicates and delays messages, crashes
 *       and restarts nodes, stops them cleanly, wipes disks, breaks them and rolls them back to an
 *       older backup. Checked as it goes: no store ever holds
 *       more of a replica's entry than that replica may have applied (an op counted twice); no
 *       write is acknowledged before the acknowledged total is durable on its node; no landed
 *       state lowers what the disk held; a first attempt is never answered as a duplicate; a
 *       successful QUORUM read covers every QUORUM write of its DC acknowledged before it started;
 *       no peer ever rejects another's message as invalid; no engine task throws (other than the
 *       disk's failures, which the engine counts and survives).
 *   <li>Liveness phase: faults off, disks repaired, partitions healed, down nodes restarted, new
 *       writes stopped (retries go on). Every node must acknowledge a probe write (it serves writes
 *       again after its faults cleared), and within {@link SimParams#livenessLimitMillis} of
 *       simulated time every node must hold identical states in which every replica's entry holds
 *       exactly what it acknowledged, plus at most once each write whose outcome was indeterminate.
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
  /** Picks the simulated I/O delays and whether a process dies right after a write reached the log. */
  private final SplittableRandom pipelineRandom;
  private final List<String> faultLog = new ArrayList<>();
  private final List<String> keys = new ArrayList<>();
  private boolean safetyPhase = true;
  private int quorumWritesFailed;
  private int storeFaults;
  private int pendingRetries;
  private long requestSeq;
  private int quorumReadsOk;
  private int quorumReadsFailed;
  private int wipes;
  private int rotations;
  private int restores;
  private int cleanStops;
  /** How long a start waits for a majority of its peers to confirm its replica id. */
  private static final long CLAIM_TIMEOUT_MILLIS = 2000;
  private int crashes;
  private final RetryingClients retryingClients;
  private final Map<String, Integer> failoverOutcomes = new TreeMap<>();
  private int compensations;
  /** Every replica id any node ever took: what members announced. */
  private final Set<Long> everyReplicaId = new java.util.HashSet<>();
  /** Runtime id changes because a peer sent a node's own entry ahead of its local one. */
  private int ownEntryAheadRotations;

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
    this.retryingClients = new RetryingClients(world, nodes, root.split(), params);
  }

  private static final long PROBE_AMOUNT = 1;

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
    retryingClients.start();
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

  private SimulatedStore newStore(SimNode node) {
    return wire(node, new SimulatedStore(node.name, storeRandom.split(), () -> scheduleLanding(node)));
  }

  private SimulatedStore wire(SimNode node, SimulatedStore store) {
    store.trace(message -> world.trace(node.name, message));
    store.landCheck(ks -> {
      String problem = ledger.overCounted(node.name, ks.key(), ks.state());
      if (problem != null) {
        world.fail(problem);
      }
    });
    store.faults(counters -> {
      if (node.nextFault != null) {
        Fault f = node.nextFault;
        node.nextFault = null;
        storeFaults++;
        return f;
      }
      if (safetyPhase && params.storeFailureRate() > 0 && storeRandom.nextDouble() < params.storeFailureRate()) {
        storeFaults++;
        return Fault.TRANSIENT;
      }
      return Fault.NONE;
    });
    return store;
  }

  /**
   * The store's writer thread takes its next step after a simulated I/O delay, on the process
   * that queued the write: a crash loses it with everything else queued.
   */
  private void scheduleLanding(SimNode node) {
    Incarnation owner = world.current() != null ? world.current() : node.current;
    boolean slow = world.now() < node.slowDiskUntil;
    long delay = slow ? (20 + pipelineRandom.nextInt(180)) * MS : (long) (pipelineRandom.nextDouble() * 3 * MS);
    SimulatedStore store = node.store;
    world.schedule(owner, delay, () -> {
      if (node.store != store) {
        return; // wiped meanwhile
      }
      store.landNext();
      if (safetyPhase && params.crashAfterAppendRate() > 0 && pipelineRandom.nextDouble() < params.crashAfterAppendRate()
          && node.current == owner && owner != null) {
        // The write is in the log; the replica thread has not acknowledged it yet.
        crash(node, "crash right after a WAL append, before the ack,");
        scheduleRestart(node, (50 + faultRandom.nextInt(1000)) * MS);
      }
    });
  }

  private long newReplicaId() {
    long id;
    do {
      id = engineRandom.nextLong();
    } while (id == 0);
    everyReplicaId.add(id);
    return id;
  }

  /**
   * A running node saw a peer hold its own entry ahead (the engine refused the entry): it takes a
   * new replica id at once, durably, as TallyNode does. Writes in flight may have been prepared
   * under either id.
   */
  private long rotateAtRuntime(SimNode node, Incarnation inc, String reason) {
    long old = node.replicaId;
    node.replicaId = newReplicaId();
    node.epoch = 1;
    node.rotations++;
    rotations++;
    ownEntryAheadRotations++;
    // As TallyNode: the dir may be older than the node's last run, so its records are complete only from now.
    node.remembersSinceMillis = inc.clock.currentTimeMillis();
    for (Ledger.Op op : inc.inFlight) {
      ledger.mayApplyUnder(op, node.replicaId);
    }
    log(node.name + " took replica " + Long.toHexString(node.replicaId) + " instead of " + Long.toHexString(old)
        + " while running: " + reason);
    return node.replicaId;
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
        new SplittableRandom(engineRandom.nextLong()), ReplicaListener.NONE, new ReplicationObserver() {
          @Override
          public void internalError(String task, Throwable cause) {
            // The engine survives any failure of its tasks; only the disk's are expected here.
            if (!(cause instanceof StoreException)) {
              java.io.StringWriter w = new java.io.StringWriter();
              cause.printStackTrace(new java.io.PrintWriter(w));
              world.fail(inc + "'s " + task + " task threw: " + w);
            }
          }

          @Override
          public void unknownReplicaEntries(String peer, int entries) {
            // Every id in this cluster was announced: counting one would be a false alarm.
            world.fail(inc + " counted " + entries + " entries from " + peer + " as of unknown replica ids");
          }

          @Override
          public void entriesPerKeyRefused(String peer, String key, int entries) {
            world.fail(inc + " refused key '" + key + "' from " + peer + " at " + entries + " entries");
          }
        }, new ReplicaIdAuthority() {
          @Override
          public boolean announced(long replicaId) {
            return everyReplicaId.contains(replicaId);
          }

          @Override
          public long rotate(long current, String reason) {
            return rotateAtRuntime(node, inc, reason);
          }
        });
    inc.writer = new GroupCommitWriter(inc.replica, node.store, scheduler, clock,
        Duration.ofMillis(params.dedupeWindowMillis()), params.maxPendingWrites(), WriteMetrics.NONE);
    inc.claims = new ReplicaClaims(new ClaimRecords() {
      @Override
      public Optional<ReplicaClaim> findClaim(long replicaId) {
        return Optional.ofNullable(node.claims.get(replicaId));
      }

      @Override
      public void recordClaim(ReplicaClaim claim) {
        node.claims.put(claim.replicaId(), claim);
      }
    }, node.name, () -> node.replicaId);
    // As RocksStateStore.open: the new epoch and the "running" mark are on disk before anything else.
    boolean fresh = node.freshDir;
    boolean clean = node.cleanShutdown;
    node.epoch = fresh ? 1 : node.epoch + 1;
    node.freshDir = false;
    node.cleanShutdown = false;
    StartState start = new StartState(new ReplicaClaim(node.replicaId, node.epoch, node.name, engineRandom.nextLong()),
        fresh, clean, nodes.size() > 1);
    inc.writer.refuseWritesUntilAccepted("confirming its replica id with its peers");
    List<String> peers = new ArrayList<>();
    for (SimNode other : nodes.values()) {
      if (other != node) {
        peers.add(other.name);
      }
    }
    IdentityCheck.run(start, () -> new TreeSet<>(peers), network.claimsFor(inc), scheduler, clock,
        Duration.ofMillis(CLAIM_TIMEOUT_MILLIS)).thenAccept(d -> settleIdentity(node, inc, d));
    wireFailover(node, inc, scheduler, clock, peers);
    inc.membership.start();
    inc.replica.start().whenComplete((v, e) -> {
      if (e != null) {
        world.fail(inc + " failed to start: " + e);
      }
    });
    inc.writer.start();
    world.trace(node.name, () -> "started as " + inc + " with replica " + Long.toHexString(node.replicaId));
  }

  /** The node's exactly-once-across-failover classes, as TallyNode wires them, over the simulated network. */
  private void wireFailover(SimNode node, Incarnation inc, SimScheduler scheduler, SimClock clock, List<String> peers) {
    inc.clock = clock;
    NodeRef self = NodeRef.newBuilder().setName(node.name).setDc(node.dc).build();
    ResolveSender network = this.network.resolveFor(inc);
    ResolveSender sender = (peer, request, timeout) -> network.resolve(peer, request, timeout).whenComplete((a, e) ->
        world.trace(node.name, () -> "resolve " + request.getRequest().getRequestId() + " with " + peer + ": "
            + (e != null ? e.toString() : a.getOutcome() + " counted=" + a.getCounted() + " node=" + a.getNode()
            + " unresolved=" + a.getUnresolvedList() + " remembersSince=" + a.getRemembersSinceMs())));
    // The margin covers what a retry can take here to arrive (RetryingClients: up to 1.5 s) and be
    // resolved (one rpc deadline), and the nodes' clock skew (up to 100 ms).
    RetryHorizon horizon = new RetryHorizon(Duration.ofMillis(params.dedupeWindowMillis()),
        Duration.ofMillis(RetryingClients.MAX_DELIVERY_MILLIS + params.rpcDeadlineMillis() + 300));
    FailoverMetrics metrics = new FailoverMetrics() {
      @Override
      public void resolved(Outcome outcome) {
        failoverOutcomes.merge(outcome.label(), 1, Integer::sum);
      }

      @Override
      public void compensated() {
        compensations++;
      }

      @Override
      public void gaveUp(String requestId) {
        retryingClients.nodeGaveUp(requestId);
        world.trace(node.name, () -> "gave up resolving " + requestId);
      }
    };
    inc.resolver = new BackgroundResolver(self, inc.writer, node.store, sender, scheduler, clock, peers::contains,
        metrics, Duration.ofMillis(params.rpcDeadlineMillis()), Duration.ofMillis(100), Duration.ofMillis(1000), horizon);
    inc.failover = new FailoverCoordinator(self, inc.writer, sender, () -> peers, inc.replica::onPushDelta,
        inc.resolver, metrics, clock, horizon);
    inc.responder = new ResolveResponder(self, inc.writer, node.store, () -> node.remembersSinceMillis);
  }

  /** The node's IdentityCheck answered: take a new id if told to, then let writes in (as TallyNode does). */
  private void settleIdentity(SimNode node, Incarnation inc, IdentityDecision decision) {
    if (!inc.alive) {
      return;
    }
    if (!decision.keep()) {
      long old = node.replicaId;
      node.replicaId = newReplicaId();
      node.epoch = 1;
      node.rotations++;
      // As TallyNode: records older than this start may be what a rolled-back dir lost.
      if (decision.dirMayBeOld()) {
        node.remembersSinceMillis = inc.clock.currentTimeMillis();
      }
      rotations++;
      inc.replica.useReplicaId(node.replicaId);
      log(node.name + " took replica " + Long.toHexString(node.replicaId) + " instead of " + Long.toHexString(old)
          + ": " + decision.reason());
    } else {
      world.trace(node.name, () -> "keeps replica " + Long.toHexString(node.replicaId) + ": " + decision.reason());
    }
    inc.identitySettled = true;
    inc.writer.acceptWrites();
    inc.resolver.start();
    if (!safetyPhase) {
      probe(node, inc);
    }
  }

  private void crash(SimNode node, String why) {
    Incarnation inc = node.current;
    if (inc == null) {
      return;
    }
    inc.alive = false;
    node.current = null;
    // Writes still queued die with the process; a write whose fsync failed may come back.
    node.store.crash();
    crashes++;
    log(why + " " + node.name);
    // Writes in flight were never answered: the client cannot know whether they were applied.
    for (Ledger.Op op : inc.inFlight) {
      ledger.indeterminate(op);
      retryLater(node, op, node.storeGeneration);
    }
    inc.inFlight.clear();
  }

  private void scheduleRestart(SimNode node, long downtime) {
    // While it is down: sometimes its dir is backed up, sometimes an old backup is put back.
    boolean restore = node.backup != null && faultRandom.nextInt(2) == 0;
    if (node.backup == null && faultRandom.nextInt(2) == 0) {
      backUp(node);
    }
    world.schedule(null, downtime, () -> restart(node, restore, world.now() + 2000 * MS));
  }

  /** Restarts a down node, first putting its old backup back if asked (waiting a while for coverage). */
  private void restart(SimNode node, boolean restore, long giveUpAt) {
    if (!safetyPhase || node.up()) {
      return;
    }
    if (restore && node.backup != null && !restoreBackup(node) && world.now() < giveUpAt) {
      world.schedule(null, 100 * MS, () -> restart(node, true, giveUpAt));
      return;
    }
    boot(node);
    log("restart " + node.name);
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
    List<CounterChange> changes = new ArrayList<>();
    int n = workloadRandom.nextInt(4) == 0 ? 1 + workloadRandom.nextInt(4) : 1;
    for (int c = 0; c < n; c++) {
      long amount = workloadRandom.nextInt(20) == 0 ? 1 + workloadRandom.nextInt(1_000_000) : 1 + workloadRandom.nextInt(5);
      changes.add(new CounterChange(pickKey(), amount, workloadRandom.nextInt(10) < 3));
    }
    String requestId = workloadRandom.nextDouble() < params.requestIdRate() ? "r-" + (++requestSeq) : "";
    WriteRequest request;
    if (n > 1) {
      request = WriteRequest.batch(changes, requestId);
    } else if (changes.get(0).decrement()) {
      request = WriteRequest.decrement(changes.get(0).key(), changes.get(0).amount(), requestId);
    } else {
      request = WriteRequest.increment(changes.get(0).key(), changes.get(0).amount(), requestId);
    }
    Ledger.Op op = ledger.submitted(node.replicaId, changes, requestId);
    boolean quorumWrite = workloadRandom.nextDouble() < params.quorumWriteRate();
    submit(node, inc, op, request, quorumWrite);
  }

  /** Hands a write (a first attempt or a retry) to the incarnation's group commit, as the gRPC layer does. */
  private void submit(SimNode node, Incarnation inc, Ledger.Op op, WriteRequest request, boolean quorumWrite) {
    inc.inFlight.add(op);
    world.trace(node.name, () -> "submit " + op + (op.attempts > 1 ? " (attempt " + op.attempts + ")" : ""));
    inc.writer.submit(request).whenComplete((outcome, error) -> {
      if (!inc.inFlight.remove(op)) {
        return; // the incarnation died first; the crash already settled it
      }
      if (error == null) {
        acknowledged(node, inc, op, outcome, quorumWrite);
        return;
      }
      WriteException e = (WriteException) (error instanceof java.util.concurrent.CompletionException ? error.getCause() : error);
      world.trace(node.name, () -> op + " failed: " + e.reason() + " " + e.getMessage());
      switch (e.reason()) {
        case OVERLOADED -> {
          if (op.attempts == 1) {
            ledger.refused(op); // shed before anything: never applied
          } else {
            retryLater(node, op, node.storeGeneration); // an earlier attempt's outcome is still unknown
          }
        }
        case STORAGE_FAILED -> {
          ledger.indeterminate(op);
          retryLater(node, op, node.storeGeneration);
        }
        case STARTING -> {
          if (op.attempts == 1) {
            ledger.refused(op); // refused before anything: never applied
          } else {
            retryLater(node, op, node.storeGeneration);
          }
        }
        default -> world.fail(node.name + " failed " + op + " with " + e.reason() + ": " + e.getMessage());
      }
    });
  }

  /**
   * A client with a request id retries a write whose outcome it does not know, on the same node
   * (issue 12 covers other nodes), while the node still has the store the first attempt reached.
   */
  private void retryLater(SimNode node, Ledger.Op op, int storeGeneration) {
    if (op.requestId.isEmpty() || (op.attempts >= 6 && !op.requestId.startsWith("probe-"))) {
      if (op.outcome != Ledger.Outcome.INDETERMINATE) {
        ledger.indeterminate(op);
      }
      return;
    }
    long delay = (20 + workloadRandom.nextInt(480)) * MS;
    pendingRetries++;
    world.schedule(null, delay, () -> {
      pendingRetries--;
      Incarnation inc = node.current;
      if (node.storeGeneration != storeGeneration) {
        ledger.indeterminate(op); // wiped: the record that could answer the retry is gone
        return;
      }
      if (node.replicaId != op.replica) {
        // The node took a new replica id: a retry would apply under either id, which the ledger's
        // per-replica sums cannot express. The client gives up; the write stays counted at most once.
        ledger.indeterminate(op);
        return;
      }
      if (inc == null) {
        retryLater(node, op, storeGeneration);
        return;
      }
      op.attempts++;
      List<CounterChange> c = op.changes;
      WriteRequest retry = c.size() > 1 ? WriteRequest.batch(c, op.requestId)
          : c.get(0).decrement() ? WriteRequest.decrement(c.get(0).key(), c.get(0).amount(), op.requestId)
          : WriteRequest.increment(c.get(0).key(), c.get(0).amount(), op.requestId);
      world.schedule(inc, 0, () -> submit(node, inc, op, retry, false));
    });
  }

  private void acknowledged(SimNode node, Incarnation inc, Ledger.Op op, WriteOutcome outcome, boolean quorumWrite) {
    if (outcome.deduplicated() && op.attempts == 1) {
      world.fail(node.name + " answered the first attempt of " + op + " as a duplicate");
    }
    ledger.acked(op);
    world.trace(node.name, () -> "acknowledged " + op + (outcome.deduplicated() ? " (deduplicated)" : ""));
    List<String> keys = new ArrayList<>();
    List<KeyState> snapshot = new ArrayList<>();
    for (CounterChange c : op.changes) {
      PnCounter durable = node.store.get(c.key());
      String problem = op.orReplica != 0 ? null : ledger.notDurable(node.name, c.key(), op.replica, durable);
      if (problem != null) {
        world.fail(problem);
      }
      if (!keys.contains(c.key())) {
        keys.add(c.key());
        snapshot.add(new KeyState(c.key(), durable));
      }
    }
    if (op.requestId.startsWith("probe-")) {
      node.probed = true;
    }
    if (quorumWrite) {
      inc.replica.replicateCommittedToQuorum(keys).whenComplete((v, e) -> {
        if (e == null) {
          ledger.quorumAcked(node.dc, snapshot);
          world.trace(node.name, "QUORUM write acknowledged");
        } else {
          quorumWritesFailed++;
          expectQuorumFailure(node, "write", e);
        }
      });
    }
  }

  /** After the heal: a node whose faults cleared must take writes again. */
  private void probe(SimNode node, Incarnation inc) {
    if (node.probed || !inc.identitySettled) {
      return; // not yet settled: settleIdentity probes
    }
    String id = "probe-" + node.name + "-" + inc.number;
    Ledger.Op op = ledger.submitted(node.replicaId, List.of(CounterChange.increment("probe", PROBE_AMOUNT)), id);
    world.schedule(inc, 0, () -> submit(node, inc, op, WriteRequest.increment("probe", PROBE_AMOUNT, id), false));
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
        scheduleRestart(victim, (50 + faultRandom.nextInt(3000)) * MS);
      }
    } else if (roll < 62) {
      SimNode victim = all.get(faultRandom.nextInt(all.size()));
      if (!victim.draining) {
        victim.draining = true;
        log("drain " + victim.name + " for a wipe");
        tryWipe(victim, world.now() + 3000 * MS);
      }
    } else if (roll < 66) {
      diskFault(up);
    } else if (roll < 74) {
      if (down.size() < (all.size() - 1) / 2 + 1 && !up.isEmpty()) {
        stopCleanly(up.get(faultRandom.nextInt(up.size())), world.now() + 3000 * MS);
      }
    } else if (roll < 78) {
      if (!down.isEmpty()) {
        SimNode victim = down.get(faultRandom.nextInt(down.size()));
        if (victim.backup == null || faultRandom.nextBoolean()) {
          backUp(victim);
        } else {
          restoreBackup(victim);
        }
      }
    } else if (roll < 84) {
      double[] drops = {0, 0, 0.01, 0.05, 0.2};
      double[] dups = {0, 0, 0.02, 0.1};
      double[] slows = {0, 0.01, 0.05, 0.15};
      network.setFaults(drops[faultRandom.nextInt(drops.length)], dups[faultRandom.nextInt(dups.length)],
          slows[faultRandom.nextInt(slows.length)]);
      log("network " + network.faults());
    } else if (roll < 88) {
      // A buggy or hostile peer: the next delta push a node receives carries its own current
      // entry of a key ahead of what the node ever wrote.
      if (!up.isEmpty()) {
        SimNode victim = up.get(faultRandom.nextInt(up.size()));
        network.inflateOwnEntryNextPushTo(victim.name);
        log("a peer will send " + victim.name + " its own entry inflated");
      }
    }
    world.schedule(null, nextFaultGap(), this::nemesis);
  }

  /**
   * Stops a node the way an operator does: no new writes, the ones in flight answered, then the
   * process closes its dir cleanly, so the next start may keep its replica id if its peers agree.
   */
  private void stopCleanly(SimNode victim, long giveUpAt) {
    if (victim.draining || victim.current == null) {
      return; // a wipe is waiting on it
    }
    victim.draining = true;
    log("drain " + victim.name + " for a clean stop");
    awaitDrained(victim, victim.current, giveUpAt);
  }

  private void awaitDrained(SimNode victim, Incarnation inc, long giveUpAt) {
    if (!safetyPhase || victim.current != inc) {
      victim.draining = false;
      return;
    }
    if (inc.inFlight.isEmpty() && victim.store.queued() == 0 && !victim.store.failing()) {
      crash(victim, "clean stop");
      victim.cleanShutdown = true;
      victim.draining = false;
      cleanStops++;
      scheduleRestart(victim, (50 + faultRandom.nextInt(2000)) * MS);
      return;
    }
    if (world.now() >= giveUpAt) {
      victim.draining = false;
      return;
    }
    world.schedule(null, 20 * MS, () -> awaitDrained(victim, inc, giveUpAt));
  }

  /** Copies a down node's whole dir (store and meta), as a backup or a VM snapshot would. */
  private void backUp(SimNode victim) {
    victim.backup = new SimNode.Backup(victim.store.copyOnDisk(storeRandom.split(), () -> {}), victim.replicaId,
        victim.epoch, victim.cleanShutdown, new HashMap<>(victim.claims), world.now());
    log("back up " + victim.name + "'s dir (replica " + Long.toHexString(victim.replicaId) + ", epoch " + victim.epoch
        + (victim.cleanShutdown ? ", clean" : ", not clean") + ")");
  }

  /**
   * Puts a down node's dir back to its backup: its store goes back in time while its peers hold
   * newer entries of its replica id. As with a wipe, only once the others cover what it has now:
   * writes that never left a node whose disk is replaced are the disk's loss, not replication's.
   */
  private boolean restoreBackup(SimNode victim) {
    SimNode.Backup b = victim.backup;
    if (victim.up() || nodes.size() < 2 || !coveredByAllOthers(victim)) {
      return false;
    }
    Set<String> unresolved = RetryingClients.unresolvedEverywhere(nodes);
    b.store().unresolvedDedupe().forEach(r -> unresolved.add(r.requestId()));
    retryingClients.lostDir(victim, unresolved);
    victim.store = wire(victim, b.store().copyOnDisk(storeRandom.split(), () -> scheduleLanding(victim)));
    victim.storeGeneration++;
    victim.remembersSinceMillis = 0; // as the node: a fresh or restored dir does not know what it lost (see docs/api.md)
    victim.replicaId = b.replicaId();
    victim.epoch = b.epoch();
    victim.cleanShutdown = b.cleanShutdown();
    victim.claims = new HashMap<>(b.claims());
    victim.freshDir = false;
    if (nodes.values().stream().filter(n -> n.dc.equals(victim.dc)).count() == 1) {
      ledger.forgetQuorumAcks(victim.dc); // as for a wipe: its QUORUM writes have no other copy in the DC
    }
    restores++;
    log("restore " + victim.name + "'s dir from the backup of " + SimWorld.time(b.takenAt()) + " (replica "
        + Long.toHexString(b.replicaId()) + ", epoch " + b.epoch() + ")");
    return true;
  }

  /** Breaks one live node's disk: full or failing until repaired, an fsync error, or slow for a while. */
  private void diskFault(List<SimNode> up) {
    if (up.isEmpty()) {
      return;
    }
    SimNode victim = up.get(faultRandom.nextInt(up.size()));
    int kind = faultRandom.nextInt(3);
    if (kind == 2) {
      long millis = 200 + faultRandom.nextInt(1800);
      victim.slowDiskUntil = world.now() + millis * MS;
      log("slow disk on " + victim.name + " for " + millis + "ms");
      return;
    }
    victim.nextFault = kind == 0 ? Fault.STICKY : Fault.FSYNC_ERROR;
    long repairAfter = (100 + faultRandom.nextInt(1500)) * MS;
    SimulatedStore store = victim.store;
    log((kind == 0 ? "disk full" : "fsync error") + " on " + victim.name + ", repaired after " + repairAfter / MS + "ms");
    world.schedule(null, repairAfter, () -> {
      if (victim.nextFault != null && victim.store == store) {
        victim.nextFault = null; // no write came in the meantime
      }
      store.repair();
    });
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
      retryingClients.lostDir(victim, RetryingClients.unresolvedEverywhere(nodes));
      victim.store = newStore(victim);
      victim.storeGeneration++;
    victim.remembersSinceMillis = 0; // as the node: a fresh or restored dir does not know what it lost (see docs/api.md)
      if (nodes.values().stream().filter(n -> n.dc.equals(victim.dc)).count() == 1) {
        // The coverage rule keeps every write alive in other DCs, but a QUORUM read in a one-node
        // DC asks only this node: its earlier QUORUM writes are no longer owed to such reads.
        ledger.forgetQuorumAcks(victim.dc);
      }
      victim.replicaId = newReplicaId();
      victim.freshDir = true;
      victim.cleanShutdown = false;
      victim.epoch = 0;
      victim.claims = new HashMap<>();
      victim.backup = null;
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
    retryingClients.stopNewWrites();
    network.setConnectivity(Connectivity.FULL);
    network.setFaults(0, 0, 0);
    for (SimNode n : nodes.values()) {
      n.nextFault = null;
      n.slowDiskUntil = 0;
      n.store.repair();
    }
    for (SimNode n : nodes.values()) {
      n.draining = false;
      if (!n.up()) {
        boot(n); // probes once started
      } else {
        probe(n, n.current);
      }
    }
    log("heal everything, repair disks, stop new writes (retries go on), probe every node");
  }

  /** Null when every node holds exactly the acknowledged totals; otherwise what is still wrong. */
  private String divergence() {
    TreeMap<String, PnCounter> reference = null;
    SimNode referenceNode = null;
    for (SimNode n : nodes.values()) {
      if (!n.up()) {
        return n.name + " is down";
      }
      if (!n.probed) {
        return n.name + " has not acknowledged a write since the heal";
      }
      TreeMap<String, PnCounter> states = n.store.dump();
      if (reference == null) {
        reference = states;
        referenceNode = n;
      } else if (!states.equals(reference)) {
        for (String key : ledger.keys()) {
          PnCounter a = reference.getOrDefault(key, PnCounter.EMPTY);
          PnCounter b = states.getOrDefault(key, PnCounter.EMPTY);
          if (!a.equals(b)) {
            return referenceNode.name + " and " + n.name + " differ on '" + key + "': " + a + " vs " + b;
          }
        }
        return referenceNode.name + " and " + n.name + " hold different key sets";
      }
    }
    if (retryingClients.open() > 0) {
      return retryingClients.open() + " failover clients still retrying";
    }
    for (SimNode n : nodes.values()) {
      if (n.current.resolver.pending() > 0) {
        return n.name + " still resolves " + n.current.resolver.pending() + " retried writes";
      }
    }
    String failoverProblem = retryingClients.inexact(reference);
    if (failoverProblem != null) {
      return failoverProblem;
    }
    if (pendingRetries > 0) {
      return pendingRetries + " client retries still to come";
    }
    for (SimNode n : nodes.values()) {
      if (!n.current.inFlight.isEmpty()) {
        return n.name + " has " + n.current.inFlight.size() + " writes in flight";
      }
    }
    for (String key : ledger.keys()) {
      String problem = ledger.inexact(key, reference.getOrDefault(key, PnCounter.EMPTY));
      if (problem != null) {
        return problem;
      }
    }
    if (!reference.keySet().stream().allMatch(k -> ledger.keys().contains(k) || k.startsWith(RetryingClients.KEY_PREFIX))) {
      return "nodes hold keys nobody wrote";
    }
    return null;
  }

  private SimResult result(boolean ok, String failure, long convergeNanos) {
    return new SimResult(seed, ok, failure, params.toString(), List.copyOf(faultLog), ledger.acknowledged(),
        (int) ledger.indeterminate(), storeFaults,
        ledger.quorumAckCount(), quorumWritesFailed, quorumReadsOk, quorumReadsFailed, crashes, wipes,
        cleanStops, restores, rotations, world.processed(), convergeNanos / MS, network.stats(),
        new SimResult.Failover(retryingClients.ops(), retryingClients.attemptsRetried, retryingClients.fenced,
            retryingClients.uncertain(), compensations, Map.copyOf(failoverOutcomes)));
  }
}
