package dev.tally.node.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;

/** The token file as an operator writes it by hand, and every way it can be wrong. */
class TokenFileTest {
  /** SHA-256 of "password", the digest of the example. */
  static final String PASSWORD_SHA = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

  static TokenSet parse(String yaml) {
    return TokenFile.parse(yaml, "auth-tokens file t.yaml");
  }

  @Test
  void parse_handWrittenFile_authenticatesByDigest() {
    TokenSet set = parse("""
        - name: web                # appears in logs and metrics, never the token
          sha256: %s
          roles: [read, write]
          key-prefixes: ["likes:"]
        - name: ops
          sha256: %s
          roles: [admin]
        """.formatted(PASSWORD_SHA, PASSWORD_SHA.toUpperCase().replace('5', 'A')));
    TokenEntry web = set.authenticate("password").orElseThrow();
    assertThat(web.name()).isEqualTo("web");
    assertThat(web.roles()).containsExactlyInAnyOrder(Role.READ, Role.WRITE);
    assertThat(web.allowsKey("likes:1")).isTrue();
    assertThat(web.allowsKey("views:1")).isFalse();
    assertThat(set.authenticate("Password")).isEmpty();
    assertThat(set.authenticate("")).isEmpty();
    assertThat(set.entries().get(1).allowsKey("anything")).isTrue();
    assertThat(web.toString()).doesNotContain(PASSWORD_SHA);
  }

  @Test
  void parse_certSubject_matchesInCanonicalForm() {
    TokenSet set = parse("""
        - name: svc
          cert-subject: "CN=svc, O=Example"
          roles: [read]
        """);
    assertThat(set.bySubject(new X500Principal("cn=svc,o=example"))).map(TokenEntry::name).contains("svc");
    assertThat(set.bySubject(new X500Principal("CN=other"))).isEmpty();
    assertThat(set.authenticate("anything")).isEmpty();
  }

  @Test
  void parse_tokenCreateOutput_readsBack() {
    String token = Tokens.create();
    assertThat(token).startsWith("tally_").hasSize(6 + 43);
    assertThat(Tokens.create()).isNotEqualTo(token);
    String entry = Tokens.entry("web", token, EnumSet.of(Role.WRITE, Role.READ), List.of("likes:", "a\"b\\c"));
    assertThat(entry).doesNotContain(token);
    TokenEntry e = parse(entry).authenticate(token).orElseThrow();
    assertThat(e.keyPrefixes()).containsExactly("likes:", "a\"b\\c");
    assertThat(HexFormat.of().formatHex(e.sha256())).isEqualTo(Tokens.sha256Hex(token));
  }

  @Test
  void parse_errorsNameTheEntryAndTheField() {
    String ok = "  sha256: " + PASSWORD_SHA + "\n  roles: [read]\n";
    assertThatThrownBy(() -> parse("- name: a\n" + ok + "- name: a\n  sha256: " + PASSWORD_SHA.replace('5', '6')
        + "\n  roles: [read]\n")).hasMessage("auth-tokens file t.yaml: entry 2 has name 'a', already used by entry 1;"
            + " names must be unique");
    assertThatThrownBy(() -> parse("- name: a\n" + ok + "- name: b\n" + ok))
        .hasMessageContaining("entry 2 ('b') has the same sha256 as entry 'a'");
    assertThatThrownBy(() -> parse("- name: a\n  sha256: " + PASSWORD_SHA + "\n  roles: [read, wirte]\n"))
        .hasMessageContaining("entry 1 ('a'): roles[1] 'wirte' is not a role; use read, write or admin");
    assertThatThrownBy(() -> parse("- name: a\n  sha256: 5e88zz\n  roles: [read]\n"))
        .hasMessageContaining("entry 1 ('a'): sha256 must be 64 hex digits").hasMessageContaining("got 6 characters");
    String token = Tokens.create();
    assertThatThrownBy(() -> parse("- name: a\n  sha256: " + token + "\n  roles: [read]\n"))
        .hasMessageContaining("that is a token: put its SHA-256 here").hasMessageNotContaining(token);
    assertThatThrownBy(() -> parse("- name: a\n  sha256: 12345\n  roles: [read]\n"))
        .hasMessageContaining("sha256 must be 64 hex digits").hasMessageContaining("quote it");
    assertThatThrownBy(() -> parse("- name: a\n" + ok + "  role: [admin]\n"))
        .hasMessageContaining("entry 1 ('a'): unknown field 'role'");
    assertThatThrownBy(() -> parse("- name: a\n  sha256: " + PASSWORD_SHA + "\n"))
        .hasMessageContaining("entry 1 ('a'): roles must be a non-empty list");
    assertThatThrownBy(() -> parse("- name: a b\n" + ok)).hasMessageContaining("entry 1 ('a b'): name 'a b' is invalid");
    assertThatThrownBy(() -> parse("- sha256: " + PASSWORD_SHA + "\n  roles: [read]\n"))
        .hasMessageContaining("entry 1: name is missing");
    assertThatThrownBy(() -> parse("- name: a\n  roles: [read]\n")).hasMessageContaining("entry 1 ('a'): sha256 is missing");
    assertThatThrownBy(() -> parse("- name: a\n" + ok + "  key-prefixes: []\n"))
        .hasMessageContaining("key-prefixes must be a non-empty list");
    assertThatThrownBy(() -> parse("- name: a\n" + ok + "  cert-subject: \"not a dn\"\n"))
        .hasMessageContaining("cert-subject 'not a dn' is not a distinguished name");
    assertThatThrownBy(() -> parse("")).hasMessageContaining("is empty");
    assertThatThrownBy(() -> parse("[]")).hasMessageContaining("lists no entries");
    assertThatThrownBy(() -> parse("name: a\n")).hasMessageContaining("must be a YAML list of entries");
    assertThatThrownBy(() -> parse("- name: [\n")).hasMessageContaining("is not valid YAML");
  }

  @Test
  void bearerToken_parsesOnlyTheBearerScheme() {
    assertThat(Credentials.bearerToken("Bearer abc")).isEqualTo("abc");
    assertThat(Credentials.bearerToken("bearer   abc  ")).isEqualTo("abc");
    assertThat(Credentials.bearerToken("Bearer")).isNull();
    assertThat(Credentials.bearerToken("Bearer ")).isNull();
    assertThat(Credentials.bearerToken("Basic abc")).isNull();
    assertThat(Credentials.bearerToken("abc")).isNull();
    assertThat(Credentials.bearerToken("Bearer a b")).isNull();
  }
}
