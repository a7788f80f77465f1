package dev.tally.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TargetTest {

  @Test
  void parse_commaSeparatedEndpoints() {
    Target t = Target.parse("a:1, 10.0.0.2:7000,[::1]:9");
    assertThat(t.endpoints()).containsExactly(
        new HostPort("a", 1), new HostPort("10.0.0.2", 7000), new HostPort("::1", 9));
    assertThat(t.dnsName()).isNull();
    assertThat(t).hasToString("a:1,10.0.0.2:7000,[::1]:9");
  }

  @Test
  void parse_dnsTarget() {
    Target t = Target.parse("dns:///tally.svc.cluster.local:7000");
    assertThat(t.endpoints()).isEmpty();
    assertThat(t.dnsName()).isEqualTo(new HostPort("tally.svc.cluster.local", 7000));
    assertThat(t).hasToString("dns:///tally.svc.cluster.local:7000");
  }

  @Test
  void ofEndpoints_keepsTheGivenOrder() {
    assertThat(Target.ofEndpoints(List.of("c:3", "a:1")).endpoints())
        .extracting(HostPort::toString).containsExactly("c:3", "a:1");
  }
}
