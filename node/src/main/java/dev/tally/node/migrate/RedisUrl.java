package dev.tally.node.migrate;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * A Redis address as {@code tally import redis --url} takes it: {@code redis://HOST:PORT[/DB]}
 * ({@code rediss://} for TLS, {@code redis://:PASSWORD@HOST} or {@code redis://USER:PASSWORD@HOST}
 * with ACLs; port 6379 and database 0 by default). Checked here so a mistake is one clear line.
 */
public record RedisUrl(String host, int port, int database, boolean tls, String user, String password) {

  /** @throws IllegalArgumentException saying what is wrong with {@code text} */
  public static RedisUrl parse(String text) {
    String example = "; expected redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0";
    URI uri;
    try {
      uri = new URI(text.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + text + "' is not a URL (" + e.getReason() + ")" + example);
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equals("redis") || scheme.equals("rediss"))) {
      throw new IllegalArgumentException("'" + text + "' does not start with redis:// or rediss://" + example);
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("'" + text + "' names no host (or not a valid one)" + example);
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("'" + text + "' has a query or fragment, which is not supported" + example);
    }
    int port = uri.getPort() == -1 ? RedisURI.DEFAULT_REDIS_PORT : uri.getPort();
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("'" + text + "' has port " + port + "; a port is 1..65535" + example);
    }
    int db = 0;
    String path = uri.getPath() == null ? "" : uri.getPath();
    if (!path.isEmpty() && !path.equals("/")) {
      try {
        db = Integer.parseInt(path.substring(1));
      } catch (NumberFormatException e) {
        db = -1;
      }
      if (db < 0) {
        throw new IllegalArgumentException("'" + text + "' names database '" + path.substring(1)
            + "'; a database is a number >= 0" + example);
      }
    }
    String user = null;
    String password = null;
    if (uri.getUserInfo() != null) {
      String info = uri.getUserInfo();
      int colon = info.indexOf(':');
      if (colon < 0) {
        password = info;
      } else {
        user = colon == 0 ? null : info.substring(0, colon);
        password = info.substring(colon + 1);
      }
    }
    return new RedisUrl(uri.getHost(), port, db, scheme.equals("rediss"), user, password);
  }

  /** Lettuce's form, with a timeout on every command. */
  RedisURI toLettuce(Duration timeout) {
    RedisURI.Builder b = RedisURI.builder().withHost(host).withPort(port).withDatabase(database).withSsl(tls)
        .withTimeout(timeout);
    if (password != null) {
      if (user != null) {
        b.withAuthentication(user, password.toCharArray());
      } else {
        b.withPassword(password.toCharArray());
      }
    }
    return b.build();
  }

  /** The URL without its password, for messages. */
  @Override
  public String toString() {
    return (tls ? "rediss://" : "redis://") + (user != null ? user + "@" : "") + host + ":" + port + "/" + database;
  }
}
