package dev.tally.node.cli;

import dev.tally.client.CounterValue;
import dev.tally.client.TallyClient;
import dev.tally.client.TallyClientBuilder;
import dev.tally.client.TallyException;
import dev.tally.client.WatchListener;
import dev.tally.client.WatchSubscription;
import dev.tally.node.config.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code tally watch KEY...}: prints the current value of each key, then every change, until
 * Ctrl-C. When its node goes away the client re-subscribes on another endpoint (the same node when
 * it is the only one, once it is back) and the command says so on stderr; each new stream starts
 * with the current values again.
 *
 * <p>Threads: picocli's thread runs {@link #run} and waits on {@code finished}; the client's
 * callback thread runs the listener (one call at a time, in order), which prints and may complete
 * {@code finished} with the exit code; {@link #stop()} completes it from any thread. {@code
 * connections} is only touched by the listener; {@code firstConnection} hands the first connection
 * over to the waiting thread.
 */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    versionProvider = TallyCommand.Version.class,
    sortOptions = false,
    description = {
        "Prints the current value of each key, then every change, until Ctrl-C.",
        "Values come from the node the watch is connected to: changes written there or "
            + "replicated to it. When that node goes away the watch reconnects (to another node "
            + "of --target if there is one), says so on stderr and prints the current values "
            + "again. It gives up when no node has answered for --timeout (default here: 1m).",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "1:the node refused the watch, or no node answered for --timeout; stderr says why",
        "2:usage error (a wrong flag, a missing argument)",
        "130:stopped with Ctrl-C (SIGINT)",
        "4:not authenticated: the node needs a token (TALLY_TOKEN) and got none or an unknown one",
        "5:permission denied: the token lacks the role, or a key is outside its prefixes"},
    footerHeading = "%nExamples:%n",
    footer = {
        "  tally watch likes:post-1",
        "  tally watch likes:post-1 views:post-1 --target 10.0.0.5:7400,10.0.0.6:7400",
        "  tally watch likes:post-1 --json | jq .value"})
public final class WatchCommand extends ClientCommand {

  /** How long the watch may go without a stream when {@code --timeout} is not given. */
  static final Duration DEFAULT_WATCH_TIMEOUT = TallyClientBuilder.DEFAULT_WATCH_RECONNECT_TIMEOUT;
  /** After this long without a first connection, the command says it is still trying. */
  private static final Duration SLOW_CONNECT = Duration.ofSeconds(2);

  @Parameters(paramLabel = "KEY", arity = "1..*", description = "Keys to watch (1..1000 of them).")
  List<String> keys;

  private final CompletableFuture<Integer> finished = new CompletableFuture<>();
  private final CountDownLatch firstConnection = new CountDownLatch(1);
  private int connections;

  /** The command as {@code tally} runs it: the default target comes from the environment. */
  public WatchCommand() {
    this(TargetResolver.system());
  }

  WatchCommand(TargetResolver targets) {
    super(targets);
  }

  @Override
  Duration defaultTimeout() {
    return DEFAULT_WATCH_TIMEOUT;
  }

  @Override
  void configure(TallyClientBuilder builder) {
    builder.watchReconnectTimeout(timeout());
  }

  /** Ends a running watch with exit code 0, as Ctrl-C would end it (tests and embedding). */
  void stop() {
    finished.complete(ExitCodes.OK);
  }

  @Override
  int run(TallyClient client, PrintWriter out, PrintWriter err) {
    CounterOutput output = new CounterOutput(out, options.json, keys);
    WatchSubscription subscription = client.watch(keys, new Printer(output, err));
    try {
      try {
        return finished.get(SLOW_CONNECT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (firstConnection.getCount() > 0) {
          err.println("watch: waiting for a node at " + target() + " (gives up after " + Durations.format(timeout()) + ")");
          err.flush();
        }
        return finished.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCodes.OK;
    } catch (ExecutionException e) {
      throw new IllegalStateException("the watch's end is only ever completed normally", e);
    } finally {
      subscription.close();
    }
  }

  /** Prints values to stdout and connection changes to stderr; a terminal error ends the command. */
  private final class Printer implements WatchListener {
    private final CounterOutput output;
    private final PrintWriter err;

    Printer(CounterOutput output, PrintWriter err) {
      this.output = output;
      this.err = err;
    }

    @Override
    public void onValue(CounterValue value) {
      output.print(value);
    }

    @Override
    public void onConnected(String endpoint) {
      connections++;
      err.println(connections == 1
          ? "watch: connected to " + endpoint + "; Ctrl-C stops"
          : "watch: reconnected to " + endpoint + "; current values follow");
      err.flush();
      firstConnection.countDown();
    }

    @Override
    public void onDisconnected(String endpoint, TallyException cause) {
      err.println(oneLine("watch: lost " + endpoint + " (" + cause.code() + ": " + cause.description() + "); reconnecting"));
      err.flush();
    }

    @Override
    public void onError(TallyException error) {
      finished.complete(report(error, err));
    }
  }
}
