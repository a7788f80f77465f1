package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.node.TallyNode;
import dev.tally.node.auth.Role;
import dev.tally.node.auth.Tokens;
import dev.tally.node.testing.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code tally token create} and the client commands' --token / TALLY_TOKEN against a node with
 * auth-tokens: the file is made from the command's own output, so what it prints is what a node
 * accepts.
 */
class AuthCommandsTest {
  @TempDir
  static Path dir;

  static TallyNode node;
  static String target;
  static String writer;
  static String reader;

  @BeforeAll
  static void start() throws IOException {
    Cli.Result w = Cli.run("token", "create", "--name", "web", "--role", "read", "--role", "write", "--prefix", "likes:");
    assertThat(w.exitCode()).as(w.toString()).isZero();
    List<String> lines = w.out().lines().toList();
    writer = lines.get(0);
    String entry = String.join("\n", lines.subList(1, lines.size())) + "\n";
    Cli.Result r = Cli.run("token", "create", "--name", "viewer", "--role", "READ");
    reader = r.out().lines().findFirst().orElseThrow();
    String readerEntry = r.out().substring(r.out().indexOf('\n') + 1);
    Path file = dir.resolve("tokens.yaml");
    Files.writeString(file, entry + readerEntry);
    node = TestNodes.start(dir.resolve("data"), "auth-tokens", file.toString());
    target = "127.0.0.1:" + node.clientPort();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static Cli.Result withEnv(Map<String, String> env, ClientCommand command, String... args) {
    CommandLine cl = new CommandLine(command.withEnv(env));
    CliErrors.install(cl);
    return Cli.run(cl, args);
  }

  @Test
  void tokenCreate_printsTheTokenFirstAndAnEntryWithItsDigestOnly() {
    Cli.Result r = Cli.run("token", "create", "--name", "ops", "--role", "admin");

    assertThat(r.exitCode()).isZero();
    String token = r.out().lines().findFirst().orElseThrow();
    assertThat(token).startsWith("tally_").hasSize(49);
    assertThat(r.out()).isEqualTo(token + "\n" + Tokens.entry("ops", token, EnumSet.of(Role.ADMIN), List.of()));
    assertThat(r.out().substring(token.length())).doesNotContain(token).contains(Tokens.sha256Hex(token));
    assertThat(r.err()).doesNotContain(token).contains("give it to the client (TALLY_TOKEN)");
  }

  @Test
  void tokenCreate_badInput_isAUsageError() {
    assertThat(Cli.run("token", "create", "--name", "we b", "--role", "read").exitCode()).isEqualTo(2);
    Cli.Result r = Cli.run("token", "create", "--name", "web", "--role", "reader");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("'reader' is not a role; use read, write or admin");
    assertThat(Cli.run("token", "create", "--name", "web").exitCode()).isEqualTo(2);
  }

  @Test
  void tokenFlag_authenticates() {
    Cli.Result r = Cli.run("incr", "likes:flag", "--target", target, "--token", writer);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("likes:flag  1\n");
  }

  @Test
  void tallyTokenEnv_authenticates_andTheFlagWins() {
    Cli.Result r = withEnv(Map.of("TALLY_TOKEN", writer), new IncrCommand(), "likes:env", "--target", target);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("likes:env  1\n");
    Cli.Result flag = withEnv(Map.of("TALLY_TOKEN", writer), new IncrCommand(), "likes:env", "--target", target,
        "--token", reader);
    assertThat(flag.exitCode()).as(flag.toString()).isEqualTo(ExitCodes.PERMISSION_DENIED);
  }

  @Test
  void noToken_exitsUnauthenticatedWithOneLine() {
    Cli.Result r = withEnv(Map.of(), new GetCommand(), "likes:x", "--target", target);
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.UNAUTHENTICATED);
    assertThat(r.err()).startsWith("error: not authenticated: missing or invalid credentials")
        .endsWith("; set TALLY_TOKEN (or --token) to a token from the nodes' auth-tokens file\n");
    assertThat(r.err().lines().count()).isEqualTo(1);
    Cli.Result wrong = Cli.run("get", "likes:x", "--target", target, "--token", "tally_wrong");
    assertThat(wrong.exitCode()).isEqualTo(ExitCodes.UNAUTHENTICATED);
  }

  @Test
  void missingRoleOrPrefix_exitsPermissionDenied_namingIt() {
    Cli.Result role = Cli.run("incr", "likes:x", "--target", target, "--token", reader);
    assertThat(role.exitCode()).as(role.toString()).isEqualTo(ExitCodes.PERMISSION_DENIED);
    assertThat(role.err()).startsWith("error: permission denied: principal 'viewer' lacks the write role");
    Cli.Result prefix = Cli.run("incr", "views:x", "--target", target, "--token", writer);
    assertThat(prefix.exitCode()).isEqualTo(ExitCodes.PERMISSION_DENIED);
    assertThat(prefix.err()).contains("key 'views:x' is outside the key prefixes of principal 'web' ('likes:')");
    Cli.Result status = Cli.run("status", "--target", target, "--token", writer);
    assertThat(status.exitCode()).isEqualTo(ExitCodes.PERMISSION_DENIED);
    assertThat(status.err()).contains("admin role");
  }

  @Test
  void tokenOverPlaintextToAnotherHost_isRefusedBeforeSending() {
    Cli.Result r = Cli.run("get", "k", "--target", "10.255.255.1:7400", "--token", writer);
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("a token over plaintext to 10.255.255.1 could be read on the network")
        .doesNotContain(writer);
  }

  @Test
  void tlsFiles_mustBeReadable() {
    Cli.Result r = Cli.run("get", "k", "--target", target, "--ca", dir.resolve("missing.pem").toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--ca", "is not a readable file");
    assertThat(Cli.run("get", "k", "--target", target, "--cert", dir.resolve("tokens.yaml").toString()).err())
        .contains("--cert needs --key");
  }
}
