package dev.tally.node.cli;

import dev.tally.node.migrate.Importer;
import dev.tally.node.migrate.RedisSource;
import dev.tally.node.migrate.RedisUrl;
import io.lettuce.core.RedisException;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tally import redis --url redis://HOST:PORT[/DB] --match PATTERN}. */
@Command(
    name = "redis",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    sortOptions = false,
    description = {
        "Imports the integer counters of a Redis database: every key matching --match whose value is a string "
            + "Redis's INCR takes as an integer sets the Tally counter of the same name to that value.",
        "Keys are found with SCAN (never KEYS) and read with MGET. Other strings, values outside int64, keys of "
            + "other types (hash, list, ...) and keys that are not 1..4096 bytes of UTF-8 are skipped and counted.",
        "Reads each key with QUORUM and writes the difference with QUORUM under a request id made from "
            + "(key, value, current value), so a rerun, or a retry after a crash, never counts twice. "
            + "Needs the read and write roles with auth-tokens.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:every key was imported, unchanged or skipped",
        "1:some keys failed (stderr names them; running the import again is safe), or Redis failed",
        "2:usage error (a wrong flag, a bad URL)",
        "4:not authenticated: the node needs a token (TALLY_TOKEN) and got none or an unknown one",
        "5:permission denied: the token needs the read and write roles, and the keys inside its prefixes"},
    footerHeading = "%nExamples:%n",
    footer = {
        "  tally import redis --url redis://127.0.0.1:6379 --match 'likes:*' --dry-run",
        "  tally import redis --url redis://10.0.0.7:6379/2 --match 'views:*' --target 10.0.1.5:7400"})
public final class ImportRedisCommand extends ImportCommand.Base {
  /** Each Redis command's timeout. */
  static final Duration REDIS_TIMEOUT = Duration.ofSeconds(10);

  @Option(names = "--url", paramLabel = "redis://HOST:PORT[/DB]", required = true, order = 1,
      converter = UrlConverter.class,
      description = "The Redis server and database (default port 6379, database 0); rediss:// for TLS, "
          + "redis://:PASSWORD@HOST for a password.")
  RedisUrl url;

  @Option(names = "--match", paramLabel = "PATTERN", order = 2, defaultValue = "*",
      description = "Redis glob of the keys to import (SCAN's MATCH), e.g. 'likes:*'. Quote it in a shell. "
          + "Default: every key.")
  String match;

  private RedisSource source;

  public ImportRedisCommand() {
    this(TargetResolver.system());
  }

  ImportRedisCommand(TargetResolver targets) {
    super(targets);
  }

  @Override
  String sourceName() {
    return url + " matching '" + match + "'";
  }

  @Override
  long expected() {
    try {
      return source == null ? 0 : source.size();
    } catch (RedisException e) {
      return 0;
    }
  }

  @Override
  Integer importInto(Importer importer, StderrProgress progress, PrintWriter err) {
    try (RedisSource redis = new RedisSource(url, REDIS_TIMEOUT)) {
      source = redis;
      redis.scanInto(match, batch, importer);
      return null;
    } catch (RedisException e) {
      importer.finish();
      progress.done();
      err.println(oneLine("error: Redis at " + url + " failed: " + rootMessage(e)
          + "; " + ImportCommand.Base.counts(importer.summary()) + " before it; running the import again is safe"));
      err.flush();
      return ExitCodes.CALL_FAILED;
    } finally {
      source = null;
    }
  }

  private static String rootMessage(Throwable e) {
    String m = String.valueOf(e.getMessage());
    Throwable c = e.getCause();
    while (c != null) {
      if (c.getMessage() != null) {
        m = m + " (" + c.getMessage() + ")";
        break;
      }
      c = c.getCause();
    }
    return m;
  }

  static final class UrlConverter implements CommandLine.ITypeConverter<RedisUrl> {
    @Override
    public RedisUrl convert(String value) {
      try {
        return RedisUrl.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
