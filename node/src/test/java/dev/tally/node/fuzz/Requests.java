package dev.tally.node.fuzz;

import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.tally.api.v1.ClusterStatusRequest;
import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.FailoverResolution;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.CounterState;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.HashRange;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReplicaClaimRequest;
import dev.tally.peer.v1.ReplicaEntry;
import dev.tally.peer.v1.RequestIdentity;
import dev.tally.peer.v1.ResolveRequestRequest;
import io.grpc.health.v1.HealthCheckRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Requests for every fuzzed RPC: {@link #valid} ones (the input a correct client or peer sends,
 * over a small pool of keys so that calls meet on the same counters) and {@link #semantic} changes
 * of them that stay well-formed protobuf but break a rule (an empty or oversized key, amount 0 or
 * negative, replica id 0, entries unsorted or repeated, values up to 2^64-1, an unknown enum value,
 * absurd repeated counts).
 */
final class Requests {
  /** The keys valid requests use; the fuzz names no other key except by mutation. */
  static final List<String> KEYS = List.of("fz:a", "fz:b", "fz:c", "fz:d", "fz:e", "fz:é", "fz:ключ", "fz:🙂");
  /**
   * The keys valid pushes may give entries near 2^64 (after which reads and writes of them are
   * OUT_OF_RANGE); the others keep small values, so that writes of them go on being applied.
   */
  static final java.util.Set<String> HUGE_KEYS = java.util.Set.of("fz:d", "fz:e", "fz:🙂");
  static final int TREE_DEPTH = 3;

  private final String selfName;
  private final long ownReplicaId;
  private final long peerReplicaId;

  /**
   * @param ownReplicaId the fuzzed node's replica id, and {@code peerReplicaId} its real peer's:
   *     valid pushes name them now and then (a fake peer claiming entries of real replicas)
   */
  Requests(String selfName, long ownReplicaId, long peerReplicaId) {
    this.selfName = selfName;
    this.ownReplicaId = ownReplicaId;
    this.peerReplicaId = peerReplicaId;
  }

  private static String key(SplittableRandom r) {
    return KEYS.get(r.nextInt(KEYS.size()));
  }

  private static Consistency consistency(SplittableRandom r) {
    return Consistency.forNumber(r.nextInt(3));
  }

  private static String requestId(SplittableRandom r) {
    return r.nextInt(3) == 0 ? "" : "fz-req-" + r.nextInt(40);
  }

  private NodeRef from(SplittableRandom r) {
    return NodeRef.newBuilder().setName(r.nextInt(4) == 0 ? "fz-peer-" + r.nextInt(3) : "fz-peer").setDc("dc1").build();
  }

  /** A request a correct client or peer could send to {@code rpc}. */
  Message valid(Rpc rpc, SplittableRandom r) {
    switch (rpc) {
      case INCREMENT: {
        IncrementRequest.Builder b = IncrementRequest.newBuilder().setKey(key(r)).setRequestId(requestId(r))
            .setConsistency(consistency(r));
        if (r.nextBoolean()) {
          b.setAmount(1 + r.nextInt(1000));
        }
        if (!b.getRequestId().isEmpty() && r.nextInt(4) == 0) {
          b.addPriorNodes(r.nextBoolean() ? "*" : selfName)
              .setFailoverResolution(FailoverResolution.forNumber(r.nextInt(3)));
        }
        return b.build();
      }
      case DECREMENT: {
        DecrementRequest.Builder b = DecrementRequest.newBuilder().setKey(key(r)).setRequestId(requestId(r))
            .setConsistency(consistency(r));
        if (r.nextBoolean()) {
          b.setAmount(1 + r.nextInt(1000));
        }
        return b.build();
      }
      case INCREMENT_MANY: {
        IncrementManyRequest.Builder b = IncrementManyRequest.newBuilder().setRequestId(requestId(r))
            .setConsistency(consistency(r));
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
          IncrementManyRequest.Item.Builder item = IncrementManyRequest.Item.newBuilder().setKey(key(r));
          if (r.nextBoolean()) {
            item.setAmount(r.nextBoolean() ? 1 + r.nextInt(100) : -1 - r.nextInt(100));
          }
          b.addItems(item);
        }
        return b.build();
      }
      case GET:
        return GetRequest.newBuilder().setKey(key(r)).setConsistency(consistency(r)).build();
      case GET_MANY: {
        GetManyRequest.Builder b = GetManyRequest.newBuilder().setConsistency(consistency(r));
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
          b.addKeys(key(r));
        }
        return b.build();
      }
      case WATCH: {
        WatchRequest.Builder b = WatchRequest.newBuilder();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
          b.addKeys(key(r));
        }
        return b.build();
      }
      case CLUSTER_STATUS:
        return ClusterStatusRequest.getDefaultInstance();
      case HEALTH:
        return HealthCheckRequest.newBuilder().setService(r.nextBoolean() ? "" : "tally.v1.CounterService").build();
      case PUSH_DELTA: {
        DeltaBatch.Builder b = DeltaBatch.newBuilder().setFrom(from(r));
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
          b.addStates(state(key(r), r));
        }
        return b.build();
      }
      case COMPARE_DIGEST: {
        int level = r.nextInt(TREE_DEPTH + 1);
        int nodes = 1 << (6 * level);
        DigestRequest.Builder b = DigestRequest.newBuilder().setFrom(from(r)).setTreeDepth(TREE_DEPTH).setLevel(level);
        int n = 1 + r.nextInt(4);
        boolean hashes = r.nextBoolean();
        for (int i = 0; i < n; i++) {
          b.addIndexes(r.nextInt(nodes));
          if (hashes) {
            b.addHashes(r.nextLong());
          }
        }
        return b.build();
      }
      case SYNC_BUCKETS: {
        BucketSyncRequest.Builder b = BucketSyncRequest.newBuilder().setFrom(from(r)).setTreeDepth(TREE_DEPTH);
        String k = key(r);
        int leaf = DigestTree.leafOf(k, TREE_DEPTH);
        if (r.nextBoolean()) {
          b.addLeaves(leaf);
        } else {
          long width = 1L << (32 - 6 * TREE_DEPTH);
          b.addRanges(HashRange.newBuilder().setStart(leaf * width).setEnd((leaf + 1) * width));
        }
        if (r.nextBoolean()) {
          b.addStates(state(k, r));
        }
        return b.build();
      }
      case READ_STATES: {
        ReadStatesRequest.Builder b = ReadStatesRequest.newBuilder().setFrom(from(r));
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
          b.addKeys(key(r));
        }
        return b.build();
      }
      case CLAIM_REPLICA:
        return ReplicaClaimRequest.newBuilder().setFrom(from(r))
            .setReplicaId(r.nextInt(8) == 0 ? ownReplicaId : r.nextLong() | 1).setEpoch(1 + r.nextInt(5))
            .setInstance(r.nextLong()).build();
      case RESOLVE_REQUEST: {
        String k = key(r);
        RequestIdentity.Kind kind = RequestIdentity.Kind.forNumber(1 + r.nextInt(2));
        return ResolveRequestRequest.newBuilder().setFrom(from(r))
            .setRequest(RequestIdentity.newBuilder().setRequestId("fz-req-" + r.nextInt(40)).setKind(kind).setKey(k)
                .setAmount(1 + r.nextInt(1000)))
            .addKeys(k).build();
      }
      default:
        throw new AssertionError(rpc);
    }
  }

  /** A counter state as a peer would send it: entries sorted by unsigned replica id, small or huge. */
  private CounterState state(String key, SplittableRandom r) {
    TreeSet<Long> ids = new TreeSet<>(Long::compareUnsigned);
    int n = 1 + r.nextInt(3);
    while (ids.size() < n) {
      int pick = r.nextInt(12);
      ids.add(pick < 2 ? ownReplicaId : pick < 4 ? peerReplicaId : pick < 6 ? -1L : 0x1000L + r.nextInt(8));
    }
    CounterState.Builder s = CounterState.newBuilder().setKey(key);
    for (long id : ids) {
      boolean huge = HUGE_KEYS.contains(key);
      s.addEntries(ReplicaEntry.newBuilder().setReplica(id).setP(huge ? amount(r) : r.nextInt(1_000_000))
          .setN(huge ? amount(r) : r.nextInt(1_000_000))
          .setUpdatedAtMs(1_700_000_000_000L + r.nextInt(1_000_000)));
    }
    return s.build();
  }

  private static long amount(SplittableRandom r) {
    return switch (r.nextInt(8)) {
      case 0 -> -1L; // 2^64-1
      case 1 -> Long.MAX_VALUE;
      case 2 -> Long.MIN_VALUE; // 2^63
      case 3 -> 0;
      default -> r.nextInt(1_000_000);
    };
  }

  /**
   * {@code m} with one field (at any depth) set to a value that breaks a rule or sits on a limit.
   * The result is well-formed protobuf.
   */
  static Message semantic(Message m, SplittableRandom r, StringBuilder trace) {
    return change(m.toBuilder(), r, trace, 0).build();
  }

  private static Message.Builder change(Message.Builder b, SplittableRandom r, StringBuilder trace, int depth) {
    List<FieldDescriptor> fields = b.getDescriptorForType().getFields();
    if (fields.isEmpty()) {
      trace.append("(no fields) ");
      return b;
    }
    FieldDescriptor f = fields.get(r.nextInt(fields.size()));
    String name = f.getName();
    if (f.isRepeated()) {
      int count = b.getRepeatedFieldCount(f);
      int choice = r.nextInt(6);
      if (choice == 0 || (count == 0 && f.getJavaType() != FieldDescriptor.JavaType.MESSAGE && choice < 3)) {
        trace.append(name).append(" cleared; ");
        b.clearField(f);
        return b;
      }
      if (choice == 1 && count > 0) { // absurd counts: one past a limit, or far past
        int[] sizes = {1001, 1025, 4097, 10_001, 65_537, 100_001};
        int times = sizes[r.nextInt(r.nextInt(4) == 0 ? sizes.length : 3)];
        Object element = b.getRepeatedField(f, r.nextInt(count));
        // Far past every count limit, but under the 16 MiB inbound limit (which gets its own test).
        long elementBytes = 3 + (element instanceof Message e ? e.getSerializedSize()
            : element instanceof String s ? s.length() * 3L : 10);
        times = (int) Math.min(times, (4L << 20) / elementBytes);
        trace.append(name).append(" padded to ").append(times).append(" copies; ");
        while (b.getRepeatedFieldCount(f) < times) {
          b.addRepeatedField(f, element);
        }
        return b;
      }
      if (choice == 2 && count > 0) { // a repeated element (keys twice, an entry twice, unsorted)
        int i = r.nextInt(count);
        trace.append(name).append("[").append(i).append("] repeated at the end; ");
        b.addRepeatedField(f, b.getRepeatedField(f, i));
        return b;
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (count == 0 || r.nextInt(4) == 0) {
          trace.append(name).append(" += default element; ");
          b.addRepeatedField(f, b.newBuilderForField(f).build());
          return b;
        }
        int i = r.nextInt(count);
        trace.append(name).append("[").append(i).append("].");
        Message.Builder inner = ((Message) b.getRepeatedField(f, i)).toBuilder();
        b.setRepeatedField(f, i, change(inner, r, trace, depth + 1).build());
        return b;
      }
      if (count == 0) {
        b.addRepeatedField(f, edge(f, r, trace.append(name).append(" += ")));
      } else {
        int i = r.nextInt(count);
        b.setRepeatedField(f, i, edge(f, r, trace.append(name).append("[").append(i).append("] := ")));
      }
      return b;
    }
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      if (r.nextInt(4) == 0 || depth > 4) {
        trace.append(name).append(" cleared; ");
        b.clearField(f);
        return b;
      }
      trace.append(name).append(".");
      Message.Builder inner = ((Message) b.getField(f)).toBuilder();
      b.setField(f, change(inner, r, trace, depth + 1).build());
      return b;
    }
    if (r.nextInt(8) == 0) {
      trace.append(name).append(" cleared; ");
      b.clearField(f);
      return b;
    }
    b.setField(f, edge(f, r, trace.append(name).append(" := ")));
    return b;
  }

  /** A value for a scalar field on or past a limit; appended to the trace. */
  private static Object edge(FieldDescriptor f, SplittableRandom r, StringBuilder trace) {
    Object v;
    switch (f.getType()) {
      case STRING: {
        String[] choices = {"", "a".repeat(4096), "a".repeat(4097), "é".repeat(2048), "é".repeat(2049),
            "🙂".repeat(1024) + "a", "\u0000", "*", " ", "a".repeat(129), "fz:a", "fz-peer", "test-node",
            "x".repeat(254), "\uFFFF", "\uD83D" /* a lone surrogate */};
        String s = choices[r.nextInt(choices.length)];
        trace.append(s.length() > 12 ? s.substring(0, 4) + "..(" + s.length() + " chars)" : "'" + s + "'");
        v = s;
        break;
      }
      case INT64: case SINT64: case SFIXED64: {
        long[] choices = {0, -1, 1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, -1000};
        v = choices[r.nextInt(choices.length)];
        trace.append(v);
        break;
      }
      case UINT64: case FIXED64: {
        long[] choices = {0, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 1, 1L << 32, (1L << 32) + 1};
        v = choices[r.nextInt(choices.length)];
        trace.append(Long.toUnsignedString((Long) v));
        break;
      }
      case INT32: case SINT32: case SFIXED32: case UINT32: case FIXED32: {
        int[] choices = {0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, 3, 4, 6, 64, 4095, 4096, 262_143, 262_144};
        v = choices[r.nextInt(choices.length)];
        trace.append(v);
        break;
      }
      case BOOL:
        v = r.nextBoolean();
        trace.append(v);
        break;
      case ENUM: {
        EnumDescriptor e = f.getEnumType();
        int[] choices = {-1, 3, 99, Integer.MAX_VALUE, Integer.MIN_VALUE, 0};
        int n = choices[r.nextInt(choices.length)];
        v = e.findValueByNumberCreatingIfUnknown(n);
        trace.append(n);
        break;
      }
      case BYTES:
        v = com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0xff, 0x00});
        trace.append("ff00");
        break;
      default:
        throw new AssertionError(f.getType());
    }
    trace.append("; ");
    return v;
  }

  /** The keys a request names (the only counters an accepted call may change), parsed as the server would. */
  static List<String> namedKeys(Rpc rpc, byte[] bytes) {
    List<String> out = new ArrayList<>();
    try {
      switch (rpc) {
        case INCREMENT -> out.add(IncrementRequest.parseFrom(bytes).getKey());
        case DECREMENT -> out.add(DecrementRequest.parseFrom(bytes).getKey());
        case INCREMENT_MANY -> IncrementManyRequest.parseFrom(bytes).getItemsList().forEach(i -> out.add(i.getKey()));
        case PUSH_DELTA -> DeltaBatch.parseFrom(bytes).getStatesList().forEach(s -> out.add(s.getKey()));
        case SYNC_BUCKETS -> BucketSyncRequest.parseFrom(bytes).getStatesList().forEach(s -> out.add(s.getKey()));
        default -> { }
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return List.of();
    }
    return out;
  }
}
