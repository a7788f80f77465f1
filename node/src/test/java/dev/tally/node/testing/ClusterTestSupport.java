package dev.tally.node.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts in-process clusters for a test, prints every node's ClusterStatus and values when the
 * test fails (before anything is closed), and always closes them. Use as
 * {@code @RegisterExtension final ClusterTestSupport clusters = new ClusterTestSupport();}.
 */
public final class ClusterTestSupport implements AfterTestExecutionCallback, AfterEachCallback {
  private final List<InProcessCluster> clusters = new ArrayList<>();

  public InProcessCluster start(Path root, InProcessCluster.Spec spec) {
    InProcessCluster c = InProcessCluster.start(root, spec);
    clusters.add(c);
    return c;
  }

  @Override
  public void afterTestExecution(ExtensionContext context) {
    if (context.getExecutionException().isPresent()) {
      for (InProcessCluster c : clusters) {
        System.err.println("test " + context.getDisplayName() + " failed; " + c.dump());
      }
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    for (InProcessCluster c : clusters) {
      c.close();
    }
    clusters.clear();
  }
}
