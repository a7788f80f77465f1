package dev.tally.node.config;

/**
 * A setting is unknown, missing or invalid. The message names the key (as written in the YAML
 * file, with its flag or environment name where that is where it came from) and what is allowed,
 * so an operator can fix it without reading code.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public ConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The offending key in kebab-case ({@code data-dir}), or the environment variable name. */
  public String key() {
    return key;
  }
}
