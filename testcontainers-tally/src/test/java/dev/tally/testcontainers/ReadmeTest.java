package dev.tally.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's example is the example test class (compiled and run by this module's tests) minus
 * its lines marked {@code test harness}, so the README cannot show code that does not work.
 */
class ReadmeTest {

    @Test
    void readmeExample_isTheExampleTestWithoutItsHarnessLines() throws Exception {
        Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(Path.of("README.md")));
        assertThat(m.find()).as("a java block in README.md").isTrue();
        String example = Files.readAllLines(Path.of("src/test/java/dev/tally/testcontainers/example/LikeCounterTest.java"))
                .stream().filter(l -> !l.contains("test harness")).collect(Collectors.joining("\n", "", "\n"));
        assertThat(m.group(1)).isEqualTo(example);
    }
}
