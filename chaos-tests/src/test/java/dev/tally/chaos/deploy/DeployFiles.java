package dev.tally.chaos.deploy;

import dev.tally.chaos.docker.Images;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Reads the files under deploy/ for the tests that keep them correct and consistent. */
final class DeployFiles {

    private DeployFiles() {}

    static Path deploy() {
        return Images.repoDir().resolve("deploy");
    }

    static String read(String relative) {
        try {
            return Files.readString(deploy().resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every YAML document in a file. */
    static List<Object> yamlDocuments(String relative) {
        List<Object> docs = new ArrayList<>();
        for (Object d : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(read(relative))) {
            if (d != null) {
                docs.add(d);
            }
        }
        return docs;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    /** The configuration keys documented in examples/tally.yaml. */
    static Set<String> exampleKeys() {
        return new TreeSet<>(map(yamlDocuments("examples/tally.yaml").get(0)).keySet());
    }

    /** TALLY_PEER_PORT for peer-port: the node's rule. */
    static String envName(String key) {
        return "TALLY_" + key.replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /** TALLY_* variables the node reads besides its keys (it rejects any other TALLY_* name). */
    static final Set<String> NON_KEY_ENV = Set.of("TALLY_CONFIG", "TALLY_JAVA_OPTS", "TALLY_HOME", "TALLY_REPO", "TALLY_REQUIRE_DOCKER");

    /** The keys of the node's ConfigKey enum, read from its source when the node module has it. */
    static Set<String> nodeConfigKeysFromSource() {
        Path source = Images.repoDir().resolve("node/src/main/java/dev/tally/node/config/ConfigKey.java");
        if (!Files.isRegularFile(source)) {
            return Set.of();
        }
        try {
            Matcher m = Pattern.compile("(?m)^\\s+[A-Z_]+\\(\"([a-z-]+)\"").matcher(Files.readString(source));
            Set<String> keys = new TreeSet<>();
            while (m.find()) {
                keys.add(m.group(1));
            }
            return keys;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
