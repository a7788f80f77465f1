package dev.tally.gossip.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.membership.Member;
import dev.tally.gossip.membership.MemberState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopologyTest {

  private static ClusterView view(String self, String dc, Member... peers) {
    ClusterView v = new ClusterView(self, dc);
    for (Member m : peers) {
      v.update(m);
    }
    return v;
  }

  private static Member alive(String name, String dc) {
    return new Member(name, dc, MemberState.ALIVE);
  }

  private static Member dead(String name, String dc) {
    return new Member(name, dc, MemberState.DEAD);
  }

  @Test
  void localChangeTargets_everyDcPeerInAnyStatePlusFanoutNodesOfEachRemoteDc() {
    ClusterView v = view("a1", "A", alive("a2", "A"), dead("a3", "A"),
        alive("b1", "B"), alive("b2", "B"), alive("b3", "B"), alive("c1", "C"), alive("c2", "C"), alive("c3", "C"));
    List<String> targets = Topology.localChangeTargets(v, 2);
    assertThat(targets).startsWith("a2", "a3").hasSize(6);
    assertThat(targets.stream().filter(t -> t.startsWith("b"))).hasSize(2);
    assertThat(targets.stream().filter(t -> t.startsWith("c"))).hasSize(2);
  }

  @Test
  void pickRemote_isStableForTheSameMembers() {
    List<Member> dc = List.of(alive("b1", "B"), alive("b2", "B"), alive("b3", "B"), alive("b4", "B"));
    List<Member> reversed = new ArrayList<>(dc);
    java.util.Collections.reverse(reversed);
    assertThat(Topology.pickRemote("a1", dc, 2)).isEqualTo(Topology.pickRemote("a1", reversed, 2));
  }

  @Test
  void pickRemote_prefersLiveNodesAndFillsWithDeadOnlyWhenTooFewLive() {
    List<Member> dc = List.of(dead("b1", "B"), alive("b2", "B"), dead("b3", "B"));
    List<Member> picked = Topology.pickRemote("a1", dc, 2);
    assertThat(picked).hasSize(2);
    assertThat(picked.get(0).name()).isEqualTo("b2");
    assertThat(Topology.pickRemote("a1", dc, 5)).hasSize(3);
  }

  @Test
  void pickRemote_losingAnUnchosenNodeChangesNothing() {
    List<Member> dc = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      dc.add(alive("b" + i, "B"));
    }
    List<Member> before = Topology.pickRemote("a1", dc, 2);
    Member unchosen = dc.stream().filter(m -> !before.contains(m)).findFirst().orElseThrow();
    dc.set(dc.indexOf(unchosen), unchosen.withState(MemberState.DEAD));
    assertThat(Topology.pickRemote("a1", dc, 2)).isEqualTo(before);
  }

  @Test
  void pickRemote_losingAChosenNodeReplacesOnlyIt() {
    List<Member> dc = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      dc.add(alive("b" + i, "B"));
    }
    List<Member> before = Topology.pickRemote("a1", dc, 2);
    Member lost = before.get(0);
    dc.set(dc.indexOf(lost), lost.withState(MemberState.DEAD));
    List<Member> after = Topology.pickRemote("a1", dc, 2);
    assertThat(after).doesNotContain(lost).contains(before.get(1));
  }

  @Test
  void pickRemote_spreadsTheRelayLoadOverTheRemoteDc() {
    List<Member> dc = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      dc.add(alive("b" + i, "B"));
    }
    Map<String, Integer> chosen = new HashMap<>();
    for (int s = 0; s < 200; s++) {
      for (Member m : Topology.pickRemote("a" + s, dc, 1)) {
        chosen.merge(m.name(), 1, Integer::sum);
      }
    }
    assertThat(chosen).as("every remote node relays for some senders").hasSize(5);
    assertThat(chosen.values()).allSatisfy(n -> assertThat(n).isBetween(15, 75));
  }

  @Test
  void relayTargets_statesFromAnotherDcGoToEveryDcPeer() {
    ClusterView v = view("a1", "A", alive("a2", "A"), dead("a3", "A"), alive("b1", "B"));
    assertThat(Topology.relayTargets(v, "B")).containsExactly("a2", "a3");
  }

  @Test
  void relayTargets_statesFromTheSameDcAreNotForwarded() {
    ClusterView v = view("a1", "A", alive("a2", "A"), alive("b1", "B"));
    assertThat(Topology.relayTargets(v, "A")).isEmpty();
  }

  @Test
  void dcSize_countsEveryMemberEverSeenPlusSelf() {
    ClusterView v = view("a1", "A", alive("a2", "A"), dead("a3", "A"), alive("b1", "B"));
    assertThat(v.dcSize()).isEqualTo(3);
    assertThat(v.liveDcPeers()).extracting(Member::name).containsExactly("a2");
  }

  @Test
  void update_ignoresSelfAndReportsThePreviousState() {
    ClusterView v = new ClusterView("a1", "A");
    assertThat(v.update(alive("a1", "A"))).isNull();
    assertThat(v.peers()).isEmpty();
    assertThat(v.update(alive("a2", "A"))).isNull();
    assertThat(v.update(dead("a2", "A"))).isEqualTo(MemberState.ALIVE);
  }
}
