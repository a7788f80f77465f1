package dev.tally.gossip.write;

import dev.tally.gossip.write.DedupeRecord.AppliedValue;
import java.util.List;

/**
 * The result of an applied write: one value per change, in request order.
 *
 * @param deduplicated true when the request id was seen before and these are the first call's
 *     values (nothing was applied this time)
 */
public record WriteOutcome(List<AppliedValue> values, boolean deduplicated) {
  public WriteOutcome {
    values = List.copyOf(values);
  }
}
