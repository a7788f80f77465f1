package dev.tally.gossip.write;

import dev.tally.gossip.write.DedupeRecord.AppliedValue;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link WriteRequest} is to the write pipeline. A client's write is {@link #PLAIN}; the
 * other roles are the steps of exactly-once across failover (package {@code failover}), which run
 * on the same pipeline so that each is atomic with the dedupe records it reads and writes.
 */
public sealed interface WriteRole {

  /** A client write with no failover involved (or whose request id carries none). */
  WriteRole PLAIN = new Plain();

  record Plain() implements WriteRole {}

  /**
   * A retry whose prior nodes were asked first ({@link GroupCommitWriter#beginResolution}): it
   * ends that resolution and applies the write. {@code unresolved} lists the prior nodes that
   * could not be reached: its record then waits for them (see {@link DedupeRecord#NEVER}).
   */
  record ApplyAfterResolution(List<String> unresolved) implements WriteRole {
    public ApplyAfterResolution {
      unresolved = List.copyOf(unresolved);
    }
  }

  /**
   * A retry that a prior node had applied: it ends the resolution, applies nothing and records
   * the request as handled by {@code node} with its values, so that later repeats here get them.
   */
  record AppliedElsewhere(String node, List<AppliedValue> values) implements WriteRole {
    public AppliedElsewhere {
      Objects.requireNonNull(node, "node");
      values = List.copyOf(values);
    }
  }

  /**
   * Another node asks whether this one applied the request id. If it did (or does, in this group
   * or one in flight) the step answers with that; otherwise it writes a fence naming
   * {@code handler}, and every attempt of the id here is refused from then on. {@code key} and
   * {@code amount} are the request's identity (the asker sends no changes).
   */
  record Fence(String handler, String key, long amount) implements WriteRole {
    public Fence {
      Objects.requireNonNull(handler, "handler");
      Objects.requireNonNull(key, "key");
    }
  }

  /**
   * The background resolver's verdict on a record that waited for prior nodes: {@code
   * stillUnresolved} are left; with {@code compensate} the node undoes its own application (the
   * request's changes negated, on its own entry) in the same atomic write that marks the record
   * {@link DedupeRecord.Disposition#COMPENSATED}, so the undo happens once even across crashes.
   */
  record Settle(DedupeRecord current, List<String> stillUnresolved, boolean compensate) implements WriteRole {
    public Settle {
      Objects.requireNonNull(current, "current");
      stillUnresolved = List.copyOf(stillUnresolved);
    }
  }
}
