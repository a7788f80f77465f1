package dev.tally.gossip.failover;

import dev.tally.gossip.write.DedupeRecord;
import dev.tally.gossip.write.DedupeRecord.AppliedValue;
import dev.tally.gossip.write.WriteRequest;
import dev.tally.peer.v1.RequestIdentity;
import java.util.ArrayList;
import java.util.List;

/** Conversions between the pipeline's request identities and the peer messages. */
final class RequestIdentities {
  private RequestIdentities() {}

  static RequestIdentity of(WriteRequest r) {
    return of(r.requestId(), r.kind(), r.key(), r.batchFingerprint(), r.amount());
  }

  static RequestIdentity of(DedupeRecord r) {
    return of(r.requestId(), r.kind(), r.key(), r.batchFingerprint(), r.amount());
  }

  private static RequestIdentity of(String id, DedupeRecord.Kind kind, String key, String fingerprint, long amount) {
    return RequestIdentity.newBuilder().setRequestId(id).setKind(kind(kind)).setKey(key)
        .setBatchFingerprint(fingerprint).setAmount(amount).build();
  }

  static RequestIdentity.Kind kind(DedupeRecord.Kind k) {
    switch (k) {
      case INCREMENT:
        return RequestIdentity.Kind.INCREMENT;
      case DECREMENT:
        return RequestIdentity.Kind.DECREMENT;
      default:
        return RequestIdentity.Kind.BATCH;
    }
  }

  /** @throws IllegalArgumentException for an identity no node sends */
  static DedupeRecord.Kind kind(RequestIdentity.Kind k) {
    switch (k) {
      case INCREMENT:
        return DedupeRecord.Kind.INCREMENT;
      case DECREMENT:
        return DedupeRecord.Kind.DECREMENT;
      case BATCH:
        return DedupeRecord.Kind.BATCH;
      default:
        throw new IllegalArgumentException("request kind " + k + " is not one a node sends");
    }
  }

  static List<dev.tally.peer.v1.AppliedValue> values(List<AppliedValue> values) {
    List<dev.tally.peer.v1.AppliedValue> out = new ArrayList<>(values.size());
    for (AppliedValue v : values) {
      out.add(dev.tally.peer.v1.AppliedValue.newBuilder().setValue(v.value()).setUpdatedAtMs(v.updatedAtMillis()).build());
    }
    return out;
  }

  static List<AppliedValue> fromMessages(List<dev.tally.peer.v1.AppliedValue> values) {
    List<AppliedValue> out = new ArrayList<>(values.size());
    for (dev.tally.peer.v1.AppliedValue v : values) {
      out.add(new AppliedValue(v.getValue(), v.getUpdatedAtMs()));
    }
    return out;
  }
}
