package dev.tally.node.membership;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import dev.tally.node.config.NodeConfig;
import dev.tally.node.testing.TestNodes;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What membership knows before it has heard from anyone (nothing here starts Atomix). */
class AtomixMembershipTest {
  @TempDir
  Path dir;

  private static KnownMembers remembering(Map<String, String> members) {
    return new KnownMembers() {
      @Override
      public Map<String, String> load() {
        return members;
      }

      @Override
      public void remember(String name, String dc) {
        members.put(name, dc);
      }
    };
  }

  private NodeConfig config(String... overrides) {
    String[] all = new String[overrides.length + 2];
    all[0] = "name";
    all[1] = "n1";
    System.arraycopy(overrides, 0, all, 2, overrides.length);
    return TestNodes.config(dir, all);
  }

  @Test
  void rememberedMembers_areListedDeadFromTheStart_soTheDcSizeIsKnown() {
    Map<String, String> known = new HashMap<>(Map.of("n2", "dc1", "n3", "dc1", "n1", "dc1"));
    try (AtomixMembership m = new AtomixMembership(config("seeds", "10.9.9.9:7401"), 42, remembering(known))) {
      assertThat(m.peers()).containsExactlyInAnyOrder(new Member("n2", "dc1", MemberState.DEAD),
          new Member("n3", "dc1", MemberState.DEAD));
      assertThat(m.self()).isEqualTo(new Member("n1", "dc1", MemberState.ALIVE));
      assertThat(m.established()).as("a remembered DC is a known DC").isTrue();
      assertThat(m.peerAddress("n2")).as("not heard from: no address yet").isEmpty();
    }
  }

  @Test
  void freshNodeWithSeedsToJoin_isNotEstablished_untilItHearsFromAMember() {
    try (AtomixMembership m = new AtomixMembership(config("seeds", "10.9.9.9:7401"), 42, KnownMembers.NONE)) {
      assertThat(m.peers()).isEmpty();
      assertThat(m.established()).isFalse();
    }
  }

  @Test
  void nodeWithNoSeeds_orOnlyItselfAsSeed_isAClusterOfOne() {
    try (AtomixMembership m = new AtomixMembership(config(), 42, KnownMembers.NONE)) {
      assertThat(m.established()).isTrue();
    }
    NodeConfig selfSeeded = config("peer-port", "17401", "seeds", "127.0.0.1:17401");
    try (AtomixMembership m = new AtomixMembership(selfSeeded, 42, KnownMembers.NONE)) {
      assertThat(m.established()).isTrue();
    }
  }
}
