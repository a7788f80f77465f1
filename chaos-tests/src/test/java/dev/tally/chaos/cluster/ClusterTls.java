package dev.tally.chaos.cluster;

import dev.tally.chaos.client.ClientSecurity;
import dev.tally.chaos.docker.Images;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Turns a cluster spec into one with TLS on every port and tokens on the client API, the way an
 * operator would: certificates made by the node's own {@code tally certs create} (run from
 * node/target/tally.jar, the jar inside the image), one per node with the node's name in it (peers
 * bind names to certificates), the CA as {@code tls-ca} (mutual TLS on the peer and membership
 * ports), and a token file holding the SHA-256 of one random token with every role. The suite's
 * clients then use TLS trusting that CA and send the token.
 */
public final class ClusterTls {
    static final String DIR = "/etc/tally/tls";
    static final String TOKENS = "/etc/tally/tokens.yaml";

    private ClusterTls() {}

    /**
     * Adds certificates, token file, node settings and client security to {@code spec} for the
     * nodes it has now (add them first).
     */
    public static ClusterSpec.Builder secure(ClusterSpec.Builder spec) {
        List<String> names = spec.nodeNames();
        if (names.isEmpty()) {
            throw new IllegalStateException("add the nodes before securing the spec");
        }
        try {
            Path dir = Files.createTempDirectory("tally-chaos-tls");
            createCertificates(dir, names);
            spec.file(DIR + "/ca.pem", Files.readAllBytes(dir.resolve("ca.pem")));
            for (String n : names) {
                spec.file(DIR + "/" + n + ".pem", Files.readAllBytes(dir.resolve(n + ".pem")));
                spec.file(DIR + "/" + n + "-key.pem", Files.readAllBytes(dir.resolve(n + "-key.pem")));
            }
            String token = newToken();
            spec.file(TOKENS, ("- name: chaos\n  sha256: " + sha256Hex(token) + "\n  roles: [read, write, admin]\n")
                    .getBytes(StandardCharsets.UTF_8));
            return spec.env("TALLY_TLS_CERT", DIR + "/{name}.pem")
                    .env("TALLY_TLS_KEY", DIR + "/{name}-key.pem")
                    .env("TALLY_TLS_CA", DIR + "/ca.pem")
                    .env("TALLY_AUTH_TOKENS", TOKENS)
                    .clientSecurity(new ClientSecurity(Optional.of(dir.resolve("ca.pem")), Optional.of(token)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the chaos cluster's certificates: " + e, e);
        }
    }

    private static void createCertificates(Path dir, List<String> names) throws IOException {
        Path jar = Images.repoDir().resolve("node/target/tally.jar");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "certs", "create", "--dir", dir.toString(),
                // Clients reach the nodes through ports Docker publishes on localhost; peers by name.
                "--hosts", "localhost,127.0.0.1", "--names", String.join(",", names), "--days", "2"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output;
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("tally certs create did not finish in 60 s");
            }
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making certificates", e);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("tally certs create failed (exit " + p.exitValue() + "):\n" + output);
        }
    }

    private static String newToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return "tally_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String sha256Hex(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
