package dev.tally.node.bench;

import dev.tally.node.config.HostPort;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Drives one Redis server with Lettuce's async API: {@code connections} connections, each on its
 * own event-loop thread (NIO, like the Tally target's gRPC channels), every command with a
 * timeout, callbacks run on the event loop that decoded the reply (like {@code directExecutor}).
 *
 * <p>Mapping: Get is {@code GET key}, Increment is {@code INCRBY key 1}, IncrementMany is one
 * {@code EVALSHA} of {@link #INCREMENT_MANY_SCRIPT} ({@link RedisBatchMode#SCRIPT}) or N
 * {@code INCRBY} written in one burst ({@link RedisBatchMode#PIPELINE}).
 */
final class RedisTarget implements LoadTarget {
  /** INCRBY every key by ARGV[1], all together, and return the new values (what IncrementMany returns). */
  static final String INCREMENT_MANY_SCRIPT = "local r = {} "
      + "for i, k in ipairs(KEYS) do r[i] = redis.call('INCRBY', k, ARGV[1]) end "
      + "return r";

  private final HostPort endpoint;
  private final ClientResources resources;
  private final RedisClient client;
  private final List<StatefulRedisConnection<String, String>> connections = new ArrayList<>();
  private final RedisAsyncCommands<String, String>[] commands;
  private final RedisBatchMode batchMode;
  private final String scriptSha;

  @SuppressWarnings("unchecked")
  RedisTarget(HostPort endpoint, int connections, RedisBatchMode batchMode, Duration timeout) {
    this.endpoint = endpoint;
    this.batchMode = batchMode;
    this.resources = DefaultClientResources.builder().ioThreadPoolSize(connections).computationThreadPoolSize(1).build();
    RedisURI uri = RedisURI.builder().withHost(endpoint.host()).withPort(endpoint.port()).withTimeout(timeout).build();
    this.client = RedisClient.create(resources, uri);
    client.setOptions(ClientOptions.builder().autoReconnect(false)
        .timeoutOptions(TimeoutOptions.enabled(timeout)).build());
    this.commands = new RedisAsyncCommands[connections];
    try {
      for (int i = 0; i < connections; i++) {
        StatefulRedisConnection<String, String> c = client.connect(StringCodec.UTF8);
        this.connections.add(c);
        commands[i] = c.async();
      }
      this.scriptSha = this.connections.get(0).sync().scriptLoad(INCREMENT_MANY_SCRIPT);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  @Override
  public String kind() {
    return "redis";
  }

  @Override
  public String describe() {
    return "redis " + endpoint + " (" + commands.length + " Lettuce connections, GET / INCRBY key 1 / batch as "
        + (batchMode == RedisBatchMode.SCRIPT ? "one EVALSHA of an INCRBY script" : "a pipelined burst of INCRBY") + ")";
  }

  private RedisAsyncCommands<String, String> commands(int lane) {
    return commands[Math.floorMod(lane, commands.length)];
  }

  @Override
  public void get(int lane, String key, Completion done) {
    commands(lane).get(key).whenComplete((v, e) -> done.done(e == null ? null : errorCode(e)));
  }

  @Override
  public void increment(int lane, String key, Completion done) {
    commands(lane).incrby(key, 1).whenComplete((v, e) -> done.done(e == null ? null : errorCode(e)));
  }

  @Override
  public void incrementMany(int lane, String[] keys, Completion done) {
    if (batchMode == RedisBatchMode.SCRIPT) {
      commands(lane).<List<Long>>evalsha(scriptSha, ScriptOutputType.MULTI, keys, "1")
          .whenComplete((v, e) -> done.done(e == null ? null : errorCode(e)));
      return;
    }
    List<RedisCommand<String, String, ?>> burst = new ArrayList<>(keys.length);
    AtomicInteger left = new AtomicInteger(keys.length);
    AtomicReference<String> firstError = new AtomicReference<>();
    for (String key : keys) {
      AsyncCommand<String, String, Long> cmd = new AsyncCommand<>(new Command<>(CommandType.INCRBY,
          new IntegerOutput<>(StringCodec.UTF8), new CommandArgs<>(StringCodec.UTF8).addKey(key).add(1)));
      cmd.whenComplete((v, e) -> {
        if (e != null) {
          firstError.compareAndSet(null, errorCode(e));
        }
        if (left.decrementAndGet() == 0) {
          done.done(firstError.get());
        }
      });
      burst.add(cmd);
    }
    connections.get(Math.floorMod(lane, connections.size())).dispatch(burst);
  }

  /** A short code for a failed command: TIMEOUT, CONNECTION, or Redis's error prefix (ERR, OOM, ...). */
  static String errorCode(Throwable e) {
    Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (t instanceof RedisCommandTimeoutException) {
      return "TIMEOUT";
    }
    if (t instanceof RedisConnectionException) {
      return "CONNECTION";
    }
    if (t instanceof RedisCommandExecutionException && t.getMessage() != null && !t.getMessage().isBlank()) {
      String m = t.getMessage().strip();
      int space = m.indexOf(' ');
      return space < 0 ? m : m.substring(0, space);
    }
    return t.getClass().getSimpleName();
  }

  @Override
  public void close() {
    for (StatefulRedisConnection<String, String> c : connections) {
      try {
        c.close();
      } catch (RuntimeException ignored) {
        // closing anyway
      }
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
