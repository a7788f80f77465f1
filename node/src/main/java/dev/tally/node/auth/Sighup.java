package dev.tally.node.auth;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP as "reload the token file". One process-wide handler (a JVM has one per signal) runs every
 * registered action; several nodes in one JVM (tests) each register theirs.
 *
 * <p>The handler is installed through {@code sun.misc.Signal} found by reflection, only when a node
 * with {@code auth-tokens} starts. Where that is missing (a non-POSIX platform, a JVM run with
 * {@code -Xrs}) installing fails quietly and the file still reloads when it changes. Installing it
 * replaces the JVM's default for SIGHUP (run the shutdown hooks and exit): a node with
 * {@code auth-tokens} reloads on SIGHUP instead of stopping, as nginx or HAProxy do.
 *
 * <p>Threads: actions run on the JVM's signal dispatcher thread, so they must only hand work off.
 */
final class Sighup {
  private static final Logger log = LoggerFactory.getLogger(Sighup.class);
  private static final Set<Runnable> actions = new CopyOnWriteArraySet<>();
  private static boolean installed;

  private Sighup() {}

  /** Runs {@code action} on every SIGHUP until the returned handle is closed. */
  static AutoCloseable register(Runnable action) {
    actions.add(action);
    install();
    return () -> actions.remove(action);
  }

  /** What a SIGHUP does, for tests that cannot send one. */
  static void fire() {
    for (Runnable a : actions) {
      try {
        a.run();
      } catch (RuntimeException e) {
        log.warn("a SIGHUP action failed", e);
      }
    }
  }

  private static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object hup = signal.getConstructor(String.class).newInstance("HUP");
      Object proxy = Proxy.newProxyInstance(Sighup.class.getClassLoader(), new Class<?>[] {handler},
          (p, method, args) -> {
            if (method.getName().equals("handle")) {
              fire();
              return null;
            }
            if (method.getName().equals("toString")) {
              return "tally SIGHUP reload";
            }
            if (method.getName().equals("hashCode")) {
              return System.identityHashCode(p);
            }
            return method.getName().equals("equals") && args != null && p == args[0];
          });
      Method handle = signal.getMethod("handle", signal, handler);
      handle.invoke(null, hup, proxy);
      log.debug("SIGHUP reloads the token file");
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      log.info("SIGHUP cannot be handled on this platform ({}); the token file still reloads when it changes",
          e.getCause() != null ? e.getCause().toString() : e.toString());
    }
  }
}
