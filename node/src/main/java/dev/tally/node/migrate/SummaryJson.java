package dev.tally.node.migrate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/** The one-line JSON summaries of {@code tally import --json} and {@code tally export --json}. */
public final class SummaryJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SummaryJson() {}

  /** {@code {"source":..,"dry_run":..,"imported":..,"unchanged":..,"skipped":{..},"failed":..}}. */
  public static String of(String source, Importer.Summary s) {
    Map<String, Object> skipped = new LinkedHashMap<>();
    for (Importer.Skip reason : Importer.Skip.values()) {
      skipped.put(reason.name().toLowerCase(java.util.Locale.ROOT), s.skipped().getOrDefault(reason, 0L));
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("source", source);
    m.put("dry_run", s.dryRun());
    m.put("imported", s.imported());
    m.put("unchanged", s.unchanged());
    m.put("skipped", skipped);
    m.put("failed", s.failed());
    return write(m);
  }

  /** {@code {"exported":..,"node":..,"out":..,"seconds":..}}. */
  public static String export(long exported, String node, String out, double seconds) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("exported", exported);
    m.put("node", node);
    m.put("out", out);
    m.put("seconds", Math.round(seconds * 1000) / 1000.0);
    return write(m);
  }

  private static String write(Map<String, Object> m) {
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new AssertionError("maps of strings and numbers always serialise", e);
    }
  }
}
