package dev.tally.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Per-sender labels are member names only: a name from the wire that no member has is "unknown". */
class ReplicationMetricsLabelsTest {

  @Test
  void peerLabels_madeUpSenderNames_allGoUnderUnknown() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ReplicationMetrics metrics = new ReplicationMetrics(registry, name -> name.equals("a1"));

    for (int i = 0; i < 500; i++) {
      metrics.deltaReceived("made-up-" + i, 1, 1, 10);
      metrics.unknownReplicaEntries("made-up-" + i, 2);
      metrics.ownEntryAhead("made-up-" + i, "k");
      metrics.entriesPerKeyRefused("made-up-" + i, "k", 2000);
    }
    metrics.deltaReceived("a1", 1, 1, 10);
    metrics.unknownReplicaEntries("a1", 3);

    Set<String> peers = new TreeSet<>();
    for (Meter m : registry.getMeters()) {
      String peer = m.getId().getTag("peer");
      if (peer != null) {
        peers.add(peer);
      }
    }
    assertThat(peers).containsExactly("a1", ReplicationMetrics.UNKNOWN_PEER);
    assertThat(registry.get("tally.replication.deltas.received").tag("peer", "unknown").counter().count()).isEqualTo(500);
    assertThat(registry.get("tally.peer.unknown.replica.entries").tag("peer", "unknown").counter().count()).isEqualTo(1000);
    assertThat(registry.get("tally.peer.unknown.replica.entries").tag("peer", "a1").counter().count()).isEqualTo(3);
    assertThat(registry.get("tally.peer.own.entry.ahead").tag("peer", "unknown").counter().count()).isEqualTo(500);
    assertThat(registry.get("tally.peer.entries.per.key.refused").tag("peer", "unknown").counter().count())
        .isEqualTo(500);
  }
}
