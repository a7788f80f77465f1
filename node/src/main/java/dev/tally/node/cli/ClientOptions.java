package dev.tally.node.cli;

import dev.tally.client.Consistency;
import dev.tally.client.TallyClient;
import dev.tally.client.TallyClientBuilder;
import dev.tally.node.config.Durations;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The options every client command takes: where to connect, how to authenticate, how long to wait,
 * how to print.
 */
final class ClientOptions {
  /** The environment variable holding the token (preferred to --token, which other users see in ps). */
  static final String TOKEN_ENV = SecurityOptions.TOKEN_ENV;

  @Option(names = "--target", paramLabel = "HOST:PORT[,HOST:PORT...]", order = 100,
      converter = TargetConverter.class,
      description = "Nodes to call; any of them answers, and the others are tried when one fails. "
          + "Default: the local cluster started by 'tally up' (listed in $TALLY_HOME/local/endpoints; "
          + "TALLY_HOME defaults to ~/.tally), else " + TargetResolver.FALLBACK + ".")
  String target;

  @Option(names = "--timeout", paramLabel = "DURATION", order = 102,
      converter = TimeoutConverter.class,
      description = "How long to wait for the answer, retries included: 50ms, 2s, 1m. Default: 5s. "
          + "For watch: how long it may go without a node before giving up; default 1m.")
  Duration timeout;

  @Option(names = "--json", order = 103,
      description = "Print one JSON object per line instead of aligned text.")
  boolean json;

  @Mixin
  SecurityOptions security;

  /** See {@link SecurityOptions#applyTo}. */
  void applySecurity(TallyClientBuilder builder, Map<String, String> env) {
    security.applyTo(builder, env);
  }

  /** {@code --consistency}, for the commands where it means something (not watch and status). */
  static final class ConsistencyOption {
    @Option(names = "--consistency", paramLabel = "local|quorum", order = 101,
        converter = ConsistencyConverter.class,
        description = "local: the node's own state (fast; may lag behind other nodes); "
            + "quorum: a majority of the data center. Default: local.")
    Consistency consistency;
  }

  /** Checks {@code --target} the way the client will read it, so a typo is a usage error. */
  static final class TargetConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        TallyClient.builder().target(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
      return value.trim();
    }
  }

  /** {@code 50ms}, {@code 2s}, {@code 1m}; positive. */
  static final class TimeoutConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d;
      try {
        d = Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
      if (d.isZero()) {
        throw new TypeConversionException("'" + value + "' is not a timeout; it must be more than 0");
      }
      return d;
    }
  }

  /** {@code local} or {@code quorum}, any case. */
  static final class ConsistencyConverter implements ITypeConverter<Consistency> {
    @Override
    public Consistency convert(String value) {
      try {
        return Consistency.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("'" + value + "' is not a consistency; use local or quorum");
      }
    }
  }
}
