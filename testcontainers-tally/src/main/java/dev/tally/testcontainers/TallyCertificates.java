package dev.tally.testcontainers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * A throwaway CA and one certificate per node name, made by the node image's own {@code tally
 * certs create} (in a short-lived container of the same image), so the certificates are exactly
 * what the node expects: CN and DNS SAN the node name (peers bind names to certificates), server
 * and client auth, the given hosts as SANs. The files are kept in a temporary directory on the
 * host: {@link #caPath()} is what a client trusts.
 *
 * <p>Immutable once made; valid two days.
 */
public final class TallyCertificates {

    /** Where the node image keeps the node jar (deploy/docker/Dockerfile). */
    public static final String IMAGE_JAR = "/opt/tally/tally.jar";

    private static final String OUT = "/tmp/tally-certs";
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:-]+");

    private final Path dir;
    private final List<String> names;

    private TallyCertificates(Path dir, List<String> names) {
        this.dir = dir;
        this.names = List.copyOf(names);
    }

    /**
     * Makes a CA and a certificate for each of {@code names}, valid for those names and for
     * {@code localhost}, {@code 127.0.0.1} and {@code extraHosts} (the Docker host clients reach
     * published ports on).
     *
     * @throws IllegalStateException when the image cannot run {@code tally certs create}
     */
    public static TallyCertificates create(DockerImageName image, List<String> names, List<String> extraHosts) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("certificates need at least one node name");
        }
        Set<String> hosts = new LinkedHashSet<>(List.of("localhost", "127.0.0.1"));
        for (String h : extraHosts) {
            if (!HOST.matcher(h).matches()) {
                throw new IllegalArgumentException("host for a certificate must be a name or an address, was '" + h + "'");
            }
            hosts.add(h);
        }
        List<String> command = List.of("java", "-jar", IMAGE_JAR, "certs", "create", "--dir", OUT,
                "--hosts", String.join(",", hosts), "--names", String.join(",", names), "--days", "2");
        try {
            Path dir = Files.createTempDirectory("tally-testcontainers-tls");
            try (GenericContainer<?> maker = new GenericContainer<>(image)
                    .withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint(command.toArray(String[]::new)))
                    .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(90)))) {
                try {
                    maker.start();
                } catch (RuntimeException e) {
                    throw new IllegalStateException("`" + String.join(" ", command) + "` failed in " + image
                            + " (is it a Tally node image?): " + e.getMessage() + "\n" + safeLogs(maker), e);
                }
                List<String> files = new ArrayList<>(List.of("ca.pem"));
                for (String n : names) {
                    files.add(n + ".pem");
                    files.add(n + "-key.pem");
                }
                for (String f : files) {
                    maker.copyFileFromContainer(OUT + "/" + f, in -> Files.copy(in, dir.resolve(f)));
                }
            }
            return new TallyCertificates(dir, names);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the certificates in a temporary directory: " + e, e);
        }
    }

    private static String safeLogs(GenericContainer<?> c) {
        try {
            return c.getLogs();
        } catch (RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The CA certificate (PEM) on the host. */
    public Path caPath() {
        return dir.resolve("ca.pem");
    }

    /** The node names with a certificate. */
    public List<String> names() {
        return names;
    }

    byte[] ca() {
        return read("ca.pem");
    }

    byte[] certificate(String name) {
        return read(checked(name) + ".pem");
    }

    byte[] key(String name) {
        return read(checked(name) + "-key.pem");
    }

    private String checked(String name) {
        if (!names.contains(Objects.requireNonNull(name, "name"))) {
            throw new IllegalArgumentException("no certificate for node " + name + " (certificates name " + names + ")");
        }
        return name;
    }

    private byte[] read(String file) {
        try {
            return Files.readAllBytes(dir.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(file) + ": " + e, e);
        }
    }
}
