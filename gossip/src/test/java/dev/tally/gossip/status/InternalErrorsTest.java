package dev.tally.gossip.status;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tally.gossip.store.StoreException;
import dev.tally.gossip.testing.RecordingObserver;
import dev.tally.gossip.testing.VirtualTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class InternalErrorsTest {
  private final VirtualTime time = new VirtualTime();
  private final RecordingObserver observer = new RecordingObserver();
  private final InternalErrors errors = new InternalErrors(time.clock(), observer);
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(InternalErrors.class);

  @BeforeEach
  void captureLog() {
    log.start();
    logger.addAppender(log);
  }

  @AfterEach
  void releaseLog() {
    logger.detachAppender(log);
  }

  private List<String> lines() {
    return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void report_countsEveryFailure_logsOneLinePerTaskPerTenSeconds_withTheNumberSuppressed() {
    for (int i = 0; i < 5; i++) {
      errors.report(InternalErrors.TASK_DELTA_PUSH, new StoreException("disk full"));
      time.runFor(Duration.ofSeconds(1));
    }
    errors.report(InternalErrors.TASK_ANTI_ENTROPY, new StoreException("disk full"));
    assertThat(lines()).as("one line per task within the window").hasSize(2);

    time.runFor(Duration.ofSeconds(6));
    errors.report(InternalErrors.TASK_DELTA_PUSH, new StoreException("disk full"));

    assertThat(observer.internalErrors).isEqualTo(Map.of("delta-push", 6, "anti-entropy", 1));
    assertThat(lines()).hasSize(3);
    assertThat(lines().get(2)).contains("delta-push task", "4 more since the last such line",
        "tally_internal_errors_total{task=\"delta-push\"}");
    assertThat(log.list.get(2).getThrowableProxy().getMessage()).isEqualTo("disk full");
  }

  @Test
  void run_returnsWhetherTheBodyCompleted_andNeverThrows() {
    assertThat(errors.run(InternalErrors.TASK_STATUS, () -> {})).isTrue();
    assertThat(errors.run(InternalErrors.TASK_STATUS, () -> {
      throw new IllegalStateException("boom");
    })).isFalse();
    assertThat(observer.internalErrors).isEqualTo(Map.of("status", 1));
  }
}
