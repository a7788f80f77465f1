package dev.tally.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.inprocess.InProcessChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The choice of endpoint: round robin over healthy endpoints, cool-down, fallbacks. */
class EndpointPoolTest {

  private static final long COOL_DOWN = 1_000;
  private final AtomicLong now = new AtomicLong();
  private final EndpointPool pool = new EndpointPool(
      Target.parse("a:1,b:1,c:1"),
      (address, authority) -> InProcessChannelBuilder.forName("pool-test-" + address).build(),
      now::get, COOL_DOWN);

  @AfterEach
  void tearDown() {
    pool.shutdown(0);
  }

  private Endpoint named(String name) {
    return pool.snapshot().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
  }

  private List<String> pick(int n, Endpoint avoid) {
    List<String> picked = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      picked.add(pool.pick(avoid).name());
    }
    return picked;
  }

  @Test
  void pick_roundRobinsOverAllHealthyEndpoints() {
    assertThat(pick(6, null)).containsExactly("a:1", "b:1", "c:1", "a:1", "b:1", "c:1");
  }

  @Test
  void pick_skipsAnEndpointDuringItsCoolDown_andReturnsToItAfter() {
    pool.markFailed(named("b:1"));
    assertThat(pick(4, null)).doesNotContain("b:1");
    now.addAndGet(COOL_DOWN);
    assertThat(pick(3, null)).contains("b:1");
  }

  @Test
  void success_endsTheCoolDownAtOnce() {
    pool.markFailed(named("b:1"));
    pool.markHealthy(named("b:1"));
    assertThat(pick(3, null)).contains("b:1");
  }

  @Test
  void pick_avoidsTheEndpointThatJustFailed_whileAnotherIsHealthy() {
    Endpoint a = named("a:1");
    for (int i = 0; i < 6; i++) {
      assertThat(pool.pick(a)).isNotSameAs(a);
    }
    pool.markFailed(named("b:1"));
    pool.markFailed(named("c:1"));
    assertThat(pool.pick(a)).isSameAs(a); // the only healthy one
  }

  @Test
  void pick_allCoolingDown_choosesTheOneWhoseCoolDownEndsFirst() {
    pool.markFailed(named("c:1"));
    now.addAndGet(10);
    pool.markFailed(named("a:1"));
    now.addAndGet(10);
    pool.markFailed(named("b:1"));
    assertThat(pool.pick(null).name()).isEqualTo("c:1");
    assertThat(pool.pick(named("c:1")).name()).isEqualTo("a:1");
  }
}
