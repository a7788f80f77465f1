package dev.tally.node.migrate;

import dev.tally.client.Consistency;
import dev.tally.client.CounterValue;
import dev.tally.client.RequestOptions;
import dev.tally.client.TallyClient;
import dev.tally.client.TallyException;
import dev.tally.client.WriteOutcomeUnknownException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;

/**
 * Sets Tally counters to the values of a source, idempotently: after {@link #finish}, every key
 * given to {@link #add} holds its target value (or is counted as failed), and running the same
 * import again changes nothing.
 *
 * <p>How, per batch of keys: read the current values with QUORUM; for each key that differs,
 * write the difference (Increment or Decrement, QUORUM) under a request id derived from (key,
 * target, current) ({@link ImportRequestIds}), with {@code prior_nodes: *} so that whichever node
 * a retry reaches first asks the others whether they already applied it; read again with QUORUM
 * and count a key imported only when it now holds its target. A step retried (the client's own
 * retry after a lost answer, or a rerun after a crash that reads the same current value) carries
 * the same id, and the cluster applies it once; a rerun that reads the new value finds nothing to
 * do. A difference beyond int64 (from below -2^62 to above 2^62, say) takes two steps. What this
 * cannot make exact, a writer changing the same keys during the import, docs/migration.md
 * explains; such a key shows up as failed when the final read disagrees.
 *
 * <p>A key given twice ends at the last target given. With {@code dryRun} nothing is written:
 * keys that would change count as imported.
 *
 * <p>Threads: one caller thread; the client's futures complete elsewhere and are joined here.
 */
public final class Importer {
  /** Why a source value was not imported. */
  public enum Skip {
    NON_INTEGER("non-integer"),
    NOT_STRING("not a string"),
    OUT_OF_RANGE("out of range"),
    INVALID_KEY("key not valid in Tally");

    private final String label;

    Skip(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** Counts so far. {@code failures} holds the first few failure messages. */
  public record Summary(long imported, long unchanged, Map<Skip, Long> skipped, long failed, List<String> failures,
      boolean dryRun) {
    public long skippedTotal() {
      return skipped.values().stream().mapToLong(Long::longValue).sum();
    }

    public long seen() {
      return imported + unchanged + skippedTotal() + failed;
    }
  }

  /** Told after every batch. */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = s -> {};

    void advanced(Summary soFar);
  }

  /** Most failure messages kept for the summary. */
  static final int SHOWN_FAILURES = 5;
  /** Writes in flight at once. */
  static final int WINDOW = 256;
  private static final int WRITE_ROUNDS = 2;

  private final TallyClient client;
  private final int batch;
  private final boolean dryRun;
  private final Progress progress;
  private final RequestOptions read = RequestOptions.consistency(Consistency.QUORUM);
  private final LinkedHashMap<String, Long> pending = new LinkedHashMap<>();
  private final EnumMap<Skip, Long> skipped = new EnumMap<>(Skip.class);
  private final List<String> failures = new ArrayList<>();
  private long imported;
  private long unchanged;
  private long failed;

  /** @param batch keys per QUORUM read, 1..1000 */
  public Importer(TallyClient client, int batch, boolean dryRun, Progress progress) {
    if (batch < 1 || batch > 1000) {
      throw new IllegalArgumentException("batch must be 1..1000, got " + batch);
    }
    this.client = client;
    this.batch = batch;
    this.dryRun = dryRun;
    this.progress = progress;
  }

  /** Sets {@code key} to {@code target} (in a batch: maybe later). */
  public void add(String key, long target) {
    if (pending.containsKey(key)) {
      // The earlier target is replaced, so a key named twice in one batch ends at the last value.
      pending.remove(key);
    }
    pending.put(key, target);
    if (pending.size() >= batch) {
      flush();
    }
  }

  /** Counts a source value that is not imported. */
  public void skip(Skip reason) {
    skipped.merge(reason, 1L, Long::sum);
  }

  /** Imports what is still buffered and returns the totals. */
  public Summary finish() {
    flush();
    return summary();
  }

  public Summary summary() {
    return new Summary(imported, unchanged, new EnumMap<>(skipped), failed, List.copyOf(failures), dryRun);
  }

  private void flush() {
    if (pending.isEmpty()) {
      return;
    }
    Map<String, Long> targets = new LinkedHashMap<>(pending);
    pending.clear();
    importBatch(targets);
    progress.advanced(summary());
  }

  private void importBatch(Map<String, Long> targets) {
    Map<String, Long> current = readAll(new ArrayList<>(targets.keySet()), targets.size());
    if (current == null) {
      return;
    }
    List<String> differ = new ArrayList<>();
    for (Map.Entry<String, Long> e : current.entrySet()) {
      if (e.getValue().equals(targets.get(e.getKey()))) {
        unchanged++;
      } else {
        differ.add(e.getKey());
      }
    }
    if (dryRun) {
      imported += differ.size();
      return;
    }
    for (int round = 0; round < WRITE_ROUNDS && !differ.isEmpty(); round++) {
      List<String> written = writeSteps(differ, targets, current);
      current = readAll(written, written.size());
      if (current == null) {
        return;
      }
      differ = new ArrayList<>();
      for (String key : written) {
        if (current.get(key).equals(targets.get(key))) {
          imported++;
        } else {
          differ.add(key);
        }
      }
    }
    for (String key : differ) {
      fail("key '" + shorten(key) + "' is " + current.get(key) + " after the import, not " + targets.get(key)
          + " (another writer changed it meanwhile, or the same step was applied and undone within the nodes'"
          + " dedupe window); run the import again to set it");
    }
  }

  /** Current values by QUORUM read, or null (with every key counted failed) when the read fails. */
  private Map<String, Long> readAll(List<String> keys, int count) {
    Map<String, Long> out = new LinkedHashMap<>();
    if (keys.isEmpty()) {
      return out;
    }
    try {
      for (CounterValue v : client.getMany(keys, read)) {
        out.put(v.key(), v.value());
      }
      return out;
    } catch (TallyException e) {
      failed += count;
      note("reading " + count + " keys with QUORUM failed: " + e.code() + (e.description().isEmpty() ? ""
          : ": " + e.description()) + " (nothing of them was written since; run the import again)");
      return null;
    }
  }

  /** Writes one step for each key; returns the keys whose write succeeded. */
  private List<String> writeSteps(List<String> keys, Map<String, Long> targets, Map<String, Long> current) {
    Semaphore window = new Semaphore(WINDOW);
    List<CompletableFuture<Throwable>> results = new ArrayList<>(keys.size());
    for (String key : keys) {
      long target = targets.get(key);
      long from = current.get(key);
      long amount = step(from, target);
      RequestOptions opts = RequestOptions.consistency(Consistency.QUORUM)
          .withRequestId(ImportRequestIds.of(key, target, from))
          .withPriorNodes(List.of("*"));
      window.acquireUninterruptibly();
      CompletableFuture<CounterValue> write = amount > 0
          ? client.incrementAsync(key, amount, opts)
          : client.decrementAsync(key, -amount, opts);
      results.add(write.handle((v, e) -> {
        window.release();
        return e;
      }));
    }
    List<String> ok = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      Throwable e = results.get(i).join();
      if (e == null) {
        ok.add(keys.get(i));
        continue;
      }
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      String why = cause instanceof TallyException t
          ? t.code() + (t.description().isEmpty() ? "" : ": " + t.description()) : String.valueOf(cause);
      String hint = cause instanceof WriteOutcomeUnknownException
          ? " (it may have been applied; running the import again is safe: the same step has the same request id)"
          : "";
      fail("writing key '" + shorten(keys.get(i)) + "' failed: " + why + hint);
    }
    return ok;
  }

  /** The change from {@code from} toward {@code target}, clamped to what one Increment/Decrement takes. */
  static long step(long from, long target) {
    long diff;
    try {
      diff = Math.subtractExact(target, from);
    } catch (ArithmeticException e) {
      return target > from ? Long.MAX_VALUE : -Long.MAX_VALUE;
    }
    // A Decrement's amount is at most 2^63 - 1: -2^63 takes a second step of 1.
    return diff == Long.MIN_VALUE ? -Long.MAX_VALUE : diff;
  }

  private void fail(String message) {
    failed++;
    note(message);
  }

  private void note(String message) {
    if (failures.size() < SHOWN_FAILURES) {
      failures.add(message);
    }
  }

  private static String shorten(String key) {
    return key.length() > 64 ? key.substring(0, 64) + "..." : key;
  }
}
