package dev.tally.node.cli;

import dev.tally.node.NodeStartException;
import dev.tally.node.TallyNode;
import dev.tally.node.config.ConfigException;
import dev.tally.node.config.ConfigKey;
import dev.tally.node.config.ConfigLoader;
import dev.tally.node.config.LoadedConfig;
import dev.tally.node.local.ParentWatch;
import dev.tally.node.storage.DataDirException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tally node}: runs one node in the foreground until SIGTERM or Ctrl-C, which stop it
 * gracefully. One flag per {@link ConfigKey}, generated from that list so the help always matches
 * the settings; the environment and the config file fill in what the flags leave out.
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Runs a Tally node in the foreground; SIGTERM or Ctrl-C stops it gracefully.",
        "Settings come from flags, then TALLY_* environment variables, then the YAML file",
        "given by --config (or TALLY_CONFIG), then defaults. --data-dir is required.",
        ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:stopped cleanly",
        "1:could not start (data dir refused, port in use, ...)",
        "2:invalid settings or usage"
    })
public final class NodeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);

  @Spec
  CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", order = 0,
      description = "YAML config file (keys as the flags below, without dashes).%n  Env: TALLY_CONFIG.")
  String configFile;

  /** The command with one generated option per setting. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new NodeCommand());
    int order = 1;
    for (ConfigKey key : ConfigKey.values()) {
      cl.getCommandSpec().addOption(OptionSpec.builder(key.flag())
          .paramLabel(key.paramLabel())
          .type(String.class)
          .order(order++)
          .description(key.description() + "%n  Env: " + key.envName() + ". Default: " + key.defaultText() + ".")
          .build());
    }
    return cl;
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    Map<String, String> flags = new LinkedHashMap<>();
    for (ConfigKey key : ConfigKey.values()) {
      String value = spec.findOption(key.flag()).getValue();
      if (value != null) {
        flags.put(key.key(), value);
      }
    }
    if (configFile != null) {
      flags.put(ConfigLoader.CONFIG_FLAG, configFile);
    }
    LoadedConfig loaded;
    try {
      loaded = ConfigLoader.load(flags, System.getenv());
    } catch (ConfigException e) {
      err.println("tally node: " + e.getMessage());
      err.flush();
      return 2;
    }
    log.info("starting with config{}:{}{}", loaded.file().map(f -> " file " + f).orElse(""),
        System.lineSeparator(), loaded.describe());
    TallyNode node;
    try {
      node = TallyNode.start(loaded.config());
    } catch (DataDirException | NodeStartException e) {
      err.println("tally node: " + e.getMessage());
      err.flush();
      return 1;
    }
    // SIGTERM and Ctrl-C run shutdown hooks; the JVM exits when the hook returns.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutdown requested; stopping gracefully");
      node.close();
    }, "tally-shutdown"));
    // A node of 'tally up' stops with it, even when it was killed and could not stop its nodes.
    ParentWatch.install(() -> new Thread(() -> System.exit(0), "tally-parent-gone").start());
    node.awaitTermination();
    return 0;
  }
}
