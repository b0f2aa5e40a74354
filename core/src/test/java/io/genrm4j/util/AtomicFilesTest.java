package io.genrm4j.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic writes keep file modes, and temporary files of killed writers do not pile up. */
class AtomicFilesTest {
  @Test
  void rewritingAFileKeepsItsMode(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("scores.jsonl");
    Files.writeString(f, "old\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
    AtomicFiles.writeString(f, "new\n"); // as `grade --input X --out X` does
    assertEquals("new\n", Files.readString(f));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-r--"));
    AtomicFiles.writeString(f, "newer\n");
    assertEquals("rw-rw-r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
  }

  @Test
  void aNewFileGetsTheUmaskDefaultNot0600(@TempDir Path dir) throws Exception {
    Path plain = dir.resolve("plain.txt");
    Files.writeString(plain, "x"); // what any other writer of this process gets
    Path f = dir.resolve("out.jsonl");
    AtomicFiles.writeString(f, "x\n");
    System.out.println("probe | new file mode | " + PosixFilePermissions.toString(Files.getPosixFilePermissions(f))
        + " (umask default " + PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)) + ")");
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f));
  }

  @Test
  void temporaryFilesOfDeadWritersAreRemovedOnTheNextWrite(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("out.jsonl");
    // left behind by a killed process (no process has pid 2^22 + 1 > pid_max on Linux)
    Path stale = dir.resolve(AtomicFiles.tempPrefix(f.getFileName().toString()) + ((1 << 22) + 1) + ".123.tmp");
    Files.writeString(stale, "half");
    Path other = dir.resolve("unrelated.tmp");
    Files.writeString(other, "keep");
    AtomicFiles.writeString(f, "x\n");
    assertFalse(Files.exists(stale), "stale temporary file removed");
    assertTrue(Files.exists(other), "other files untouched");
    try (Stream<Path> s = Files.list(dir)) {
      List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(List.of("out.jsonl", "unrelated.tmp"), names);
    }
  }

  @Test
  void aFailedWriteLeavesTheOldFileAndNoTemporary(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("out.jsonl");
    Files.writeString(f, "old\n");
    try {
      AtomicFiles.write(f, out -> {
        out.write("partial".getBytes());
        throw new java.io.IOException("disk full");
      });
    } catch (java.io.UncheckedIOException expected) {
      // reported to the caller
    }
    assertEquals("old\n", Files.readString(f));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(1, s.count());
    }
  }
}
