package dev.tally.client.internal;

import com.google.protobuf.Timestamp;
import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.MemberStatus;
import dev.tally.client.ClusterMember;
import dev.tally.client.ClusterStatus;
import dev.tally.client.Consistency;
import dev.tally.client.CounterValue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Conversions between the wire messages and the SDK's records. */
final class Protos {

  private Protos() {}

  static dev.tally.api.v1.Consistency toProto(Consistency consistency) {
    return switch (consistency) {
      case LOCAL -> dev.tally.api.v1.Consistency.CONSISTENCY_LOCAL;
      case QUORUM -> dev.tally.api.v1.Consistency.CONSISTENCY_QUORUM;
    };
  }

  static CounterValue fromProto(dev.tally.api.v1.CounterValue value) {
    Instant updatedAt = null;
    if (value.hasUpdatedAt()) {
      Timestamp ts = value.getUpdatedAt();
      updatedAt = Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
    }
    return new CounterValue(value.getKey(), value.getValue(), updatedAt);
  }

  static List<CounterValue> fromProto(List<dev.tally.api.v1.CounterValue> values) {
    List<CounterValue> out = new ArrayList<>(values.size());
    for (dev.tally.api.v1.CounterValue v : values) {
      out.add(fromProto(v));
    }
    return List.copyOf(out);
  }

  static ClusterStatus fromProto(ClusterStatusResponse response) {
    List<ClusterMember> members = new ArrayList<>(response.getMembersCount());
    for (MemberStatus m : response.getMembersList()) {
      members.add(new ClusterMember(
          m.getName(),
          m.getDc(),
          m.getReplicaId(),
          m.getClientAddress(),
          m.getPeerAddress(),
          state(m.getState()),
          m.getSelf(),
          Duration.ofMillis(Math.max(0, m.getReplicationLagMs())),
          m.getPendingKeys(),
          m.getNeedsRepair(),
          m.getReplicaIdChange()));
    }
    return new ClusterStatus(response.getClusterId(), response.getNode(), members, response.getFailoverPending());
  }

  private static ClusterMember.State state(MemberStatus.State state) {
    return switch (state) {
      case STATE_ALIVE -> ClusterMember.State.ALIVE;
      case STATE_SUSPECT -> ClusterMember.State.SUSPECT;
      case STATE_DEAD -> ClusterMember.State.DEAD;
      default -> ClusterMember.State.UNKNOWN;
    };
  }
}
