package dev.tally.node.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.gossip.time.Clock;
import dev.tally.node.config.Durability;
import dev.tally.node.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data dir is the node's alone: created 0700, its files 0600, and a dir others may write is refused. */
class DataDirPermissionsTest {
  @TempDir
  Path tmp;

  @Test
  void open_newDir_isCreatedOwnerOnly_andItsFilesToo() throws Exception {
    Path dir = tmp.resolve("parent").resolve("data");
    try (RocksStateStore store = RocksStateStore.open(dir, "tally", Durability.SYNC, Clock.SYSTEM)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
      List<Path> files;
      try (Stream<Path> s = Files.list(dir)) {
        files = s.filter(Files::isRegularFile).toList();
      }
      assertThat(files).isNotEmpty();
      for (Path f : files) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.getFileName().toString())
            .isEqualTo("rw-------");
      }
    }
  }

  @Test
  void open_existingFilesLeftReadable_areMadeOwnerOnly() throws Exception {
    Path dir = tmp.resolve("data");
    RocksStateStore.open(dir, "tally", Durability.SYNC, Clock.SYSTEM).close();
    Path current = dir.resolve("CURRENT");
    Files.setPosixFilePermissions(current, PosixFilePermissions.fromString("rw-r--r--"));

    RocksStateStore.open(dir, "tally", Durability.SYNC, Clock.SYSTEM).close();

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(current))).isEqualTo("rw-------");
  }

  @Test
  void start_dataDirWritableByOthers_isRefusedWithTheChmodToRun() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("shared"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xrwx"));

    assertThatThrownBy(() -> TestNodes.start(dir))
        .isInstanceOf(DataDirException.class)
        .hasMessageContaining("is writable by others")
        .hasMessageContaining("chmod 700 " + dir.toAbsolutePath().normalize());
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.toList()).as("nothing created in a refused dir").isEmpty();
    }
  }

  @Test
  void start_dataDirWritableByAnotherGroup_isRefused() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("group"));
    var groups = dir.getFileSystem().getUserPrincipalLookupService();
    java.nio.file.attribute.GroupPrincipal other;
    try {
      other = groups.lookupPrincipalByGroupName("nogroup");
      Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class).setGroup(other);
    } catch (java.io.IOException | UnsupportedOperationException e) {
      org.junit.jupiter.api.Assumptions.abort("cannot give the dir another group here: " + e);
      return;
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));

    assertThatThrownBy(() -> TestNodes.start(dir))
        .isInstanceOf(DataDirException.class)
        .hasMessageContaining("is writable by a group the node does not run as")
        .hasMessageContaining("chmod 700");
  }

  @Test
  void start_dataDirWritableByTheNodesOwnGroup_starts() throws Exception {
    // What Kubernetes' fsGroup makes of a volume (rwxrwsr-x, group = the pod's gid), on every mount.
    Path dir = Files.createDirectory(tmp.resolve("fsgroup"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxr-x"));
    TestNodes.start(dir).close();
  }

  @Test
  void start_dataDirReadableByOthersButNotWritable_starts() throws Exception {
    // 0755 is what a dir made by hand under the usual umask has: not writable by others, so it runs.
    Path dir = Files.createDirectory(tmp.resolve("plain"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestNodes.start(dir).close();
  }
}
