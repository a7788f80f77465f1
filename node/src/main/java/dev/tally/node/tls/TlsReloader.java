package dev.tally.node.tls;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads TLS material when its files change: every {@code interval} it reads the watched files
 * (small PEM files: reading them is cheaper and surer than trusting mtimes, which have a coarse
 * granularity on some file systems) and, when their content differs from what was last applied,
 * hands the new content to the item's loader. A loader that throws (a half-written file, a key
 * that does not match the new certificate yet) leaves the old material in force; the reason is
 * logged once per bad content, and the next change is tried again.
 *
 * <p>Threads: one daemon thread of its own runs every check and every loader; {@link #watch} may
 * be called from any thread before or after start.
 */
public final class TlsReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);
  /** How often the files are read. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

  private final class Item {
    final String what;
    final List<Path> files;
    final Consumer<List<byte[]>> loader;
    byte[] applied; // reloader thread only (set at watch time before the thread sees the item)
    byte[] refused;

    Item(String what, List<Path> files, Consumer<List<byte[]>> loader, byte[] applied) {
      this.what = what;
      this.files = files;
      this.loader = loader;
      this.applied = applied;
    }
  }

  private final List<Item> items = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService thread;

  public TlsReloader(String nodeName, Duration interval) {
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tally-tls-reload-" + nodeName);
      t.setDaemon(true);
      return t;
    });
    long ms = interval.toMillis();
    thread.scheduleWithFixedDelay(this::checkAll, ms, ms, TimeUnit.MILLISECONDS);
  }

  /**
   * Watches {@code files}, whose current content {@code initial} is already in force; on a change
   * {@code loader} gets the new contents (in the order of {@code files}) and either applies them or
   * throws {@link TlsFileException} saying why not.
   */
  public void watch(String what, List<Path> files, List<byte[]> initial, Consumer<List<byte[]>> loader) {
    items.add(new Item(what, List.copyOf(files), Objects.requireNonNull(loader, "loader"), digest(initial)));
  }

  /** Checks every watched file now, on the calling thread (tests; the reloader's thread does it on its own). */
  synchronized void checkNow() {
    checkAll();
  }

  private synchronized void checkAll() {
    for (Item item : items) {
      try {
        check(item);
      } catch (RuntimeException e) {
        log.warn("checking the {} files for changes failed; keeping the loaded ones", item.what, e);
      }
    }
  }

  private void check(Item item) {
    List<byte[]> contents = new ArrayList<>();
    for (Path f : item.files) {
      try {
        contents.add(PemFiles.read(f));
      } catch (TlsFileException e) {
        // Mid-rotation (a file moved away) or gone: keep the material in force, say so once.
        byte[] marker = digest(List.of(e.getMessage().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        if (!Arrays.equals(marker, item.refused)) {
          item.refused = marker;
          log.warn("cannot reload the {}: {}; the loaded one stays in force", item.what, e.getMessage());
        }
        return;
      }
    }
    byte[] d = digest(contents);
    if (Arrays.equals(d, item.applied) || Arrays.equals(d, item.refused)) {
      return;
    }
    try {
      item.loader.accept(contents);
      item.applied = d;
      item.refused = null;
    } catch (TlsFileException e) {
      item.refused = d;
      log.warn("the {} changed but cannot be loaded: {}; the loaded one stays in force until the files are fixed",
          item.what, e.getMessage());
    }
  }

  static byte[] digest(List<byte[]> contents) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (byte[] c : contents) {
        md.update(Integer.toString(c.length).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        md.update((byte) 0);
        md.update(c);
      }
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
