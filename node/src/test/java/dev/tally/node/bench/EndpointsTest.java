package dev.tally.node.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.node.config.HostPort;
import org.junit.jupiter.api.Test;

class EndpointsTest {

  @Test
  void parse_readsEveryEndpointInOrder() {
    assertThat(Endpoints.parse("127.0.0.1:7400, 127.0.0.1:7410,"))
        .containsExactly(new HostPort("127.0.0.1", 7400), new HostPort("127.0.0.1", 7410));
  }

  @Test
  void parse_namesTheBadEntry() {
    assertThatThrownBy(() -> Endpoints.parse("127.0.0.1:7400,nope")).hasMessageContaining("nope");
    assertThatThrownBy(() -> Endpoints.parse(" , ")).hasMessageContaining("no HOST:PORT");
  }
}
