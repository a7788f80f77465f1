package dev.tally.node.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A node started by 'tally up' stops when that process is gone, however it ended. */
class ParentWatchTest {

  @AfterEach
  void clear() {
    System.clearProperty(ParentWatch.PROPERTY);
  }

  @Test
  void install_runsTheStopWhenTheParentIsKilled() throws Exception {
    Process parent = new ProcessBuilder("sleep", "60").start();
    try {
      System.setProperty(ParentWatch.PROPERTY, Long.toString(parent.pid()));
      CountDownLatch stopped = new CountDownLatch(1);
      ParentWatch.install(stopped::countDown);
      assertThat(stopped.getCount()).as("not while the parent lives").isEqualTo(1);

      parent.destroyForcibly();

      assertThat(stopped.await(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      parent.destroyForcibly();
    }
  }

  @Test
  void install_withoutTheProperty_watchesNothing() {
    CountDownLatch stopped = new CountDownLatch(1);
    ParentWatch.install(stopped::countDown);
    assertThat(stopped.getCount()).isEqualTo(1);
  }

  @Test
  void install_parentAlreadyGone_stopsAtOnce() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    System.setProperty(ParentWatch.PROPERTY, Long.toString(gone.pid()));
    CountDownLatch stopped = new CountDownLatch(1);

    ParentWatch.install(stopped::countDown);

    assertThat(stopped.await(30, TimeUnit.SECONDS)).isTrue();
  }
}
