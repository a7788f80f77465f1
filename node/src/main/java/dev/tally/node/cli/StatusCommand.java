package dev.tally.node.cli;

import dev.tally.client.ClusterMember;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tally.client.ClusterStatus;
import dev.tally.client.RequestOptions;
import dev.tally.client.TallyClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;

/** {@code tally status}: the members table of ClusterStatus, as the answering node sees it. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    sortOptions = false,
    description = {
        "Shows the cluster's members as one node sees them.",
        "For each member: name, data center, liveness, replica id, client address, "
            + "replication lag and keys pending (of the answering node's changes not yet "
            + "acknowledged by it), and whether it needs repair (anti-entropy will bring it level).",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:success",
        "1:the call failed; stderr says why",
        "2:usage error (a wrong flag, a missing argument)",
        "4:not authenticated: the node needs a token (TALLY_TOKEN) and got none or an unknown one",
        "5:permission denied: the token lacks the role, or a key is outside its prefixes"},
    footerHeading = "%nExamples:%n",
    footer = {
        "  tally status",
        "  tally status --target 10.0.0.5:7400",
        "  tally status --json"})
public final class StatusCommand extends ClientCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final List<String> HEADER =
      List.of("NAME", "DC", "STATE", "REPLICA ID", "CLIENT ADDRESS", "LAG", "PENDING", "NEEDS REPAIR");

  /** The command as {@code tally} runs it: the default target comes from the environment. */
  public StatusCommand() {
    this(TargetResolver.system());
  }

  StatusCommand(TargetResolver targets) {
    super(targets);
  }

  @Override
  int run(TallyClient client, PrintWriter out, PrintWriter err) {
    print(client.clusterStatus(RequestOptions.defaults()), options.json, out);
    return ExitCodes.OK;
  }

  /** Prints {@code status} as the members table, or as one JSON object. */
  static void print(ClusterStatus status, boolean json, PrintWriter out) {
    if (json) {
      out.println(json(status));
    } else {
      out.println("cluster " + status.clusterId() + ", as seen by " + status.node()
          + " (" + status.members().size() + (status.members().size() == 1 ? " member)" : " members)"));
      List<List<String>> rows = new ArrayList<>();
      rows.add(HEADER);
      for (ClusterMember m : status.members()) {
        rows.add(List.of(
            m.name() + (m.self() ? " *" : ""),
            m.dc(),
            m.state().name().toLowerCase(Locale.ROOT),
            orDash(m.replicaId()),
            orDash(m.clientAddress()),
            lag(m.replicationLag()),
            Long.toString(m.pendingKeys()),
            m.needsRepair() ? "yes" : "no"));
      }
      printTable(out, rows);
      out.println("* the node that answered");
      for (ClusterMember m : status.members()) {
        if (m.self() && !m.replicaIdChange().isEmpty()) {
          out.println("note: " + m.name() + " " + m.replicaIdChange());
        }
      }
      if (status.failoverPending() > 0) {
        out.println("note: " + status.node() + " applied " + status.failoverPending() + " retried write"
            + (status.failoverPending() == 1 ? "" : "s") + " without an answer from every prior node; resolving them"
            + " in the background (the count may be over by their amounts until then)");
      }
    }
    out.flush();
  }

  private static ObjectNode json(ClusterStatus status) {
    ObjectNode fields = JSON.createObjectNode()
        .put("cluster_id", status.clusterId())
        .put("node", status.node());
    ArrayNode members = fields.putArray("members");
    for (ClusterMember m : status.members()) {
      ObjectNode member = members.addObject()
          .put("name", m.name())
          .put("dc", m.dc())
          .put("state", m.state().name())
          .put("replica_id", m.replicaId())
          .put("client_address", m.clientAddress())
          .put("peer_address", m.peerAddress())
          .put("self", m.self())
          .put("replication_lag_ms", m.replicationLag().toMillis())
          .put("pending_keys", m.pendingKeys())
          .put("needs_repair", m.needsRepair());
      if (!m.replicaIdChange().isEmpty()) { // only the answering node, only after it took a new id
        member.put("replica_id_change", m.replicaIdChange());
      }
    }
    fields.put("failover_pending", status.failoverPending());
    return fields;
  }

  /** Columns left-aligned, two spaces apart; the last column is not padded. */
  static void printTable(PrintWriter out, List<List<String>> rows) {
    int columns = rows.get(0).size();
    int[] widths = new int[columns];
    for (List<String> row : rows) {
      for (int c = 0; c < columns; c++) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    for (List<String> row : rows) {
      StringBuilder sb = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        String cell = row.get(c);
        sb.append(cell);
        if (c < columns - 1) {
          sb.append(" ".repeat(widths[c] - cell.length() + 2));
        }
      }
      out.println(sb);
    }
  }

  /** {@code 0ms}, {@code 850ms}, {@code 12.3s}, {@code 4m05s}. */
  static String lag(Duration lag) {
    long ms = lag.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    return String.format(Locale.ROOT, "%dm%02ds", ms / 60_000, (ms % 60_000) / 1000);
  }

  private static String orDash(String s) {
    return s.isEmpty() ? "-" : s;
  }
}
