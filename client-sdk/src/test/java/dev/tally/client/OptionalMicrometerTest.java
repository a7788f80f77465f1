package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is an optional dependency: a client built without a registry must work on a class
 * path without Micrometer. The probe runs in its own JVM (so that its gRPC threads cannot outlive
 * a class loader inside this one) with this module, gRPC and protobuf, but no Micrometer jar.
 */
class OptionalMicrometerTest {

  /** Builds a client, makes a call that fails (nothing listens on port 1) and closes it. */
  public static final class Probe {
    public static void main(String[] args) {
      try {
        Class.forName("io.micrometer.core.instrument.MeterRegistry");
        System.out.println("micrometer is on the class path");
        return;
      } catch (ClassNotFoundException expected) {
        // the point of the probe
      }
      try (TallyClient client = TallyClient.builder()
          .endpoints("127.0.0.1:1")
          .retryPolicy(RetryPolicy.noRetries())
          .deadline(Duration.ofSeconds(2))
          .build()) {
        client.get("k");
        System.out.println("unexpected success");
      } catch (UnavailableException e) {
        System.out.println("probe: " + e.code());
      }
    }
  }

  @Test
  void clientWithoutRegistry_runsWithoutMicrometerOnTheClassPath() throws Exception {
    List<String> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.contains("micrometer")) {
        entries.add(entry);
      }
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", String.join(File.pathSeparator, entries), Probe.class.getName())
        .redirectErrorStream(true)
        .start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("probe finished").isTrue();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(out).as(out).contains("probe: UNAVAILABLE").doesNotContain("Exception in thread");
      assertThat(p.exitValue()).as(out).isZero();
    } finally {
      p.destroyForcibly();
    }
  }
}
