package dev.tally.node.auth;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token file in force, reloaded when its content changes (polled) and on SIGHUP. A file that
 * does not parse leaves the previous version in force; the log says why (once per bad version)
 * and {@code tally_auth_token_file_valid} turns 0 until a good version is read.
 *
 * <p>Metrics: {@code tally_auth_reloads_total{result=ok|failed}} (every attempt that read a new
 * version, or was asked for by SIGHUP), {@code tally_auth_tokens} (entries in force),
 * {@code tally_auth_token_file_valid} (1 while the file on disk is the version in force).
 *
 * <p>Threads: one daemon thread ({@code tally-auth-tokens}) polls and reloads; SIGHUP only queues a
 * reload on it. {@link #current()} is read by gRPC's event loops: a volatile read of an immutable
 * {@link TokenSet}, so a call sees one whole version of the file, never a mix.
 */
public final class TokenStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TokenStore.class);
  /** How often the file is checked for a change: a revoked token stops working within this. */
  public static final Duration DEFAULT_POLL = Duration.ofSeconds(2);

  private final Path file;
  private final ScheduledExecutorService thread;
  private final Counter reloadsOk;
  private final Counter reloadsFailed;
  private final AutoCloseable sighup;
  private volatile TokenSet current;
  private volatile boolean valid = true;
  /** SHA-256 of the file's bytes last read (good or bad); only the reload thread touches it. */
  private byte[] lastSeen;

  private TokenStore(Path file, TokenSet initial, byte[] seen, MeterRegistry registry, Duration poll) {
    this.file = file;
    this.current = initial;
    this.lastSeen = seen;
    this.reloadsOk = Counter.builder("tally.auth.reloads").tag("result", "ok")
        .description("Token file reloads: ok put a new version in force, failed kept the old one").register(registry);
    this.reloadsFailed = Counter.builder("tally.auth.reloads").tag("result", "failed")
        .description("Token file reloads: ok put a new version in force, failed kept the old one").register(registry);
    Gauge.builder("tally.auth.tokens", this, s -> s.current.entries().size()).strongReference(true)
        .description("Entries of the token file in force").register(registry);
    Gauge.builder("tally.auth.token.file.valid", this, s -> s.valid ? 1 : 0).strongReference(true)
        .description("1 while the token file on disk is the version in force; 0 while it does not parse (see the log)")
        .register(registry);
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tally-auth-tokens");
      t.setDaemon(true);
      return t;
    });
    long ms = poll.toMillis();
    thread.scheduleWithFixedDelay(() -> reload(false), ms, ms, TimeUnit.MILLISECONDS);
    this.sighup = Sighup.register(() -> thread.execute(() -> reload(true)));
  }

  /**
   * Reads the file and starts watching it.
   *
   * @throws TokenFileException if the file cannot be read or does not parse (the node must not start)
   */
  public static TokenStore open(Path file, MeterRegistry registry, Duration poll) {
    Objects.requireNonNull(file, "file");
    byte[] bytes = readBytes(file);
    TokenSet initial = TokenFile.read(file);
    log.info("auth-tokens {}: {} entries ({})", file, initial.entries().size(),
        String.join(", ", initial.entries().stream().map(TokenEntry::name).toList()));
    return new TokenStore(file, initial, sha(bytes), registry, poll);
  }

  /** The version in force. */
  public TokenSet current() {
    return current;
  }

  /** True while the file on disk is the version in force. */
  public boolean valid() {
    return valid;
  }

  /** Reloads now, as SIGHUP does, and waits for it (tests; operators send SIGHUP). */
  public void reloadNow() {
    try {
      thread.submit(() -> reload(true)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("reloading the token file failed: " + e, e);
    }
  }

  /** On the reload thread: reads the file; a new version (or {@code forced}) is parsed and put in force. */
  private void reload(boolean forced) {
    byte[] bytes;
    try {
      bytes = readBytes(file);
    } catch (TokenFileException e) {
      if (valid || forced) {
        log.warn("{}; the token file read earlier stays in force", e.getMessage());
        reloadsFailed.increment();
      }
      valid = false;
      lastSeen = null;
      return;
    }
    byte[] seen = sha(bytes);
    if (!forced && Arrays.equals(seen, lastSeen)) {
      return;
    }
    lastSeen = seen;
    try {
      TokenSet next = TokenFile.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8),
          "auth-tokens file " + file);
      current = next;
      valid = true;
      reloadsOk.increment();
      log.info("auth-tokens {} reloaded: {} entries ({})", file, next.entries().size(),
          String.join(", ", next.entries().stream().map(TokenEntry::name).toList()));
    } catch (TokenFileException e) {
      valid = false;
      reloadsFailed.increment();
      log.warn("{}; the previous version ({} entries) stays in force", e.getMessage(), current.entries().size());
    } catch (RuntimeException e) {
      valid = false;
      reloadsFailed.increment();
      log.warn("auth-tokens file {} could not be reloaded ({}); the previous version stays in force", file, e.toString());
    }
  }

  private static byte[] readBytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TokenFileException("cannot read auth-tokens file " + file + ": " + e, e);
    }
  }

  private static byte[] sha(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    try {
      sighup.close();
    } catch (Exception e) {
      // only removes a set entry
    }
    thread.shutdownNow();
  }
}
