package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The READMEs' examples compile as written and run against a server. */
class ReadmeExampleTest {

  @TempDir Path work;

  @Test
  void sdkReadmeExample_compilesAndRuns() throws Exception {
    List<String> lines = run(Path.of("README.md"), "LikeCounter");
    assertThat(lines).isEqualTo(List.of("likes = 1", "views = 10", "watched likes = 1", "watched likes = 2"));
  }

  /** The project README's quick example, run the same way. */
  @Test
  void projectReadmeExample_compilesAndRuns() throws Exception {
    List<String> lines = run(Path.of("..", "README.md"), "Likes");
    assertThat(lines).isEqualTo(List.of("likes:post-1 = 1", "likes:post-1 = 2 (quorum)"));
  }

  private FakeCounterService service;

  /** Compiles the first java block of {@code readme} as class {@code className} and runs it. */
  private List<String> run(Path readme, String className) throws Exception {
    Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(readme));
    assertThat(m.find()).as("a java block in " + readme).isTrue();
    Path source = work.resolve(className + ".java");
    Files.writeString(source, m.group(1));

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream compileErrors = new ByteArrayOutputStream();
    int rc = javac.run(null, null, compileErrors, "-d", work.toString(),
        "-cp", System.getProperty("java.class.path"), source.toString());
    assertThat(rc).as(compileErrors.toString(StandardCharsets.UTF_8)).isZero();

    service = new FakeCounterService();
    Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(service).build().start();
    PrintStream stdout = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {work.toUri().toURL()}, getClass().getClassLoader())) {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      loader.loadClass(className).getMethod("main", String[].class)
          .invoke(null, (Object) new String[] {"127.0.0.1:" + server.getPort()});
    } finally {
      System.setOut(stdout);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (className.equals("LikeCounter")) {
      assertThat(service.value("stock:sku-7")).isEqualTo(-1);
    }
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
