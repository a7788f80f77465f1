package dev.tally.node.migrate;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Reads the keys of one Redis database that match a pattern and hands each to an {@link Importer}:
 * {@code SCAN cursor MATCH pattern COUNT n} (never {@code KEYS}, which blocks the server for the
 * whole keyspace), then one {@code MGET} per page of keys, and {@code TYPE} for the keys MGET
 * found no string under. A string that Redis's own {@code INCR} would take as an integer is
 * imported; a string that is not ({@code 1.5}, {@code 007}, {@code abc}), a decimal integer
 * beyond int64, a key of another type (hash, list, set, ...) and a key that is not 1..4096 bytes
 * of UTF-8 are skipped and counted. A key deleted between SCAN and MGET is not counted at all.
 *
 * <p>SCAN's guarantees are Redis's: every key present for the whole scan is returned at least once
 * (a key may come twice: the importer's second visit finds it unchanged); keys written during
 * the scan may or may not be.
 *
 * <p>Threads: one caller thread; Lettuce's own I/O thread underneath.
 */
public final class RedisSource implements AutoCloseable {
  /** What Redis's string2ll accepts: an optional '-', then 0 or digits without a leading zero. */
  private static final Pattern REDIS_INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");

  private final RedisUrl url;
  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> connection;

  /**
   * Connects to {@code url}.
   *
   * @throws io.lettuce.core.RedisException when Redis cannot be reached or refuses the login
   */
  public RedisSource(RedisUrl url, Duration timeout) {
    this.url = url;
    this.resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
    this.client = RedisClient.create(resources, url.toLettuce(timeout));
    client.setOptions(ClientOptions.builder().autoReconnect(false).timeoutOptions(TimeoutOptions.enabled(timeout)).build());
    StatefulRedisConnection<byte[], byte[]> c;
    try {
      c = client.connect(ByteArrayCodec.INSTANCE);
    } catch (RuntimeException e) {
      shutdown();
      throw e;
    }
    this.connection = c;
  }

  /** Keys in the database (DBSIZE): an upper bound on what a scan may return, for a progress bar. */
  public long size() {
    return connection.sync().dbsize();
  }

  /** Scans every key matching {@code pattern}, {@code count} per SCAN, into {@code importer}. */
  public void scanInto(String pattern, int count, Importer importer) {
    RedisCommands<byte[], byte[]> redis = connection.sync();
    ScanArgs args = ScanArgs.Builder.matches(pattern.getBytes(StandardCharsets.UTF_8)).limit(count);
    ScanCursor cursor = ScanCursor.INITIAL;
    KeyScanCursor<byte[]> page;
    do {
      page = redis.scan(cursor, args);
      List<byte[]> keys = page.getKeys();
      if (!keys.isEmpty()) {
        List<KeyValue<byte[], byte[]>> values = redis.mget(keys.toArray(new byte[0][]));
        for (KeyValue<byte[], byte[]> kv : values) {
          offer(redis, kv, importer);
        }
      }
      cursor = page;
    } while (!page.isFinished());
  }

  private static void offer(RedisCommands<byte[], byte[]> redis, KeyValue<byte[], byte[]> kv, Importer importer) {
    String key = utf8(kv.getKey());
    if (!kv.hasValue()) {
      String type = redis.type(kv.getKey());
      if (!"none".equals(type)) {
        importer.skip(key == null ? Importer.Skip.INVALID_KEY : Importer.Skip.NOT_STRING);
      }
      return;
    }
    if (key == null || key.isEmpty() || kv.getKey().length > JsonLinesReader.MAX_KEY_BYTES) {
      importer.skip(Importer.Skip.INVALID_KEY);
      return;
    }
    String text = utf8(kv.getValue());
    if (text == null || !REDIS_INTEGER.matcher(text).matches()) {
      importer.skip(Importer.Skip.NON_INTEGER);
      return;
    }
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException e) {
      importer.skip(Importer.Skip.OUT_OF_RANGE);
      return;
    }
    importer.add(key, value);
  }

  /** Strict UTF-8, or null for bytes that are not. */
  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  public RedisUrl url() {
    return url;
  }

  @Override
  public void close() {
    connection.close();
    shutdown();
  }

  private void shutdown() {
    client.shutdown(0, 2, TimeUnit.SECONDS);
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
