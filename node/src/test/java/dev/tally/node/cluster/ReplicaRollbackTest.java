package dev.tally.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.MemberStatus;
import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 defect 2: a data dir that goes back in time, or is copied, must not write under the
 * replica id whose newer entries its peers hold, or {@code max()} hides every increment it takes
 * until it catches up. Each case writes on the suspect dir and checks exact totals everywhere.
 */
class ReplicaRollbackTest {
  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();

  @TempDir
  Path tmp;

  @Test
  void dirRolledBackWhileItsPeerIsAway_takesANewId_andEveryAcknowledgedIncrementCounts() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(2, "dc1"));
    c.awaitMembership();
    increment(c, "n1", "k", 5);
    c.awaitValues(Map.of("k", 5L));
    c.stop("n1");
    Path backup = copy(c.dataDir("n1"), tmp.resolve("n1-backup"));
    c.start("n1");
    long id = c.node("n1").replicaId();
    increment(c, "n1", "k", 3);
    c.awaitValues(Map.of("k", 8L));
    c.stop("n1");
    c.stop("n2");

    restore(backup, c.dataDir("n1"));
    c.start("n1"); // n2 is away: nothing can prove the restored dir current
    increment(c, "n1", "k", 2);
    c.start("n2");

    c.awaitValues(Map.of("k", 10L));
    assertThat(c.node("n1").replicaId()).isNotEqualTo(id);
    assertThat(selfStatus(c, "n1").getReplicaIdChange()).contains("confirmed this start");
  }

  @Test
  void dirRolledBackWhileItsPeerIsUp_isRefusedByThePeer_andTakesANewId() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(2, "dc1"));
    c.awaitMembership();
    increment(c, "n1", "k", 5);
    c.awaitValues(Map.of("k", 5L));
    c.stop("n1");
    Path backup = copy(c.dataDir("n1"), tmp.resolve("n1-backup"));
    c.start("n1");
    long id = c.node("n1").replicaId();
    assertThat(selfStatus(c, "n1").getReplicaIdChange()).as("a clean restart keeps its id").isEmpty();
    increment(c, "n1", "k", 3);
    c.awaitValues(Map.of("k", 8L));
    c.stop("n1");

    restore(backup, c.dataDir("n1"));
    c.start("n1");
    increment(c, "n1", "k", 2);

    c.awaitValues(Map.of("k", 10L));
    assertThat(c.node("n1").replicaId()).isNotEqualTo(id);
    assertThat(selfStatus(c, "n1").getReplicaIdChange()).contains("peer n2 refused", ReplicaIds.format(id));
  }

  @Test
  void dirCopiedToANewNode_whileTheOriginalRuns_takesANewId_andBothCount() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1"));
    c.awaitMembership();
    c.stop("n3");
    increment(c, "n1", "k", 5);
    c.awaitValuesOn(List.of("n1", "n2"), Map.of("k", 5L));
    c.stop("n1");
    restore(copy(c.dataDir("n1"), tmp.resolve("n1-copy")), c.dataDir("n3"));
    c.start("n1");
    long id = c.node("n1").replicaId();

    c.start("n3"); // on a copy of n1's dir: the same replica id, under another name
    for (int i = 0; i < 10; i++) {
      increment(c, "n1", "k", 1);
      increment(c, "n3", "k", 1);
    }

    c.awaitValues(Map.of("k", 25L));
    assertThat(c.node("n3").replicaId()).isNotEqualTo(id);
  }

  @Test
  void cleanRestartWithEveryPeerUp_keepsTheId() {
    InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1"));
    c.awaitMembership();
    increment(c, "n2", "k", 4);
    long id = c.node("n2").replicaId();
    c.stop("n2");
    c.start("n2");

    assertThat(c.node("n2").replicaId()).isEqualTo(id);
    increment(c, "n2", "k", 1);
    c.awaitValues(Map.of("k", 5L));
  }

  private static void increment(InProcessCluster c, String node, String key, long amount) {
    c.stub(node).increment(IncrementRequest.newBuilder().setKey(key).setAmount(amount).build());
  }

  private static MemberStatus selfStatus(InProcessCluster c, String node) {
    return c.status(node).getMembersList().stream().filter(MemberStatus::getSelf).findFirst().orElseThrow();
  }

  private static Path copy(Path from, Path to) {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
      return to;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void restore(Path backup, Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (UncheckedIOException e) {
      // a dir that never existed (a node never started): nothing to delete
    }
    copy(backup, dir);
  }
}
