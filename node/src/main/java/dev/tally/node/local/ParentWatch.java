package dev.tally.node.local;

import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a node started by {@code tally up} stop when {@code tally up} itself is gone (even after a
 * SIGKILL, which gives it no chance to stop its children), so no node is left running orphaned.
 * {@code tally up} passes its pid in the system property {@link #PROPERTY}.
 */
public final class ParentWatch {
  /** The pid of the process whose exit stops this node. */
  public static final String PROPERTY = "tally.up.parent-pid";

  private static final Logger log = LoggerFactory.getLogger(ParentWatch.class);

  private ParentWatch() {}

  /** Runs {@code onExit} (on another thread) when the watched parent exits; nothing if none is set. */
  public static void install(Runnable onExit) {
    String pid = System.getProperty(PROPERTY);
    if (pid == null || pid.isBlank()) {
      return;
    }
    Optional<ProcessHandle> parent;
    try {
      parent = ProcessHandle.of(Long.parseLong(pid.strip()));
    } catch (NumberFormatException e) {
      log.warn("ignoring {}={}: not a pid", PROPERTY, pid);
      return;
    }
    if (parent.isEmpty()) {
      log.warn("the process that started this node ({}) is already gone; stopping", pid);
      onExit.run();
      return;
    }
    parent.get().onExit().thenRun(() -> {
      log.warn("the 'tally up' process that started this node ({}) exited; stopping", pid);
      onExit.run();
    });
  }
}
