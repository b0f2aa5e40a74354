package io.genrm4j.util;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes that never leave a half-written file under the final name: content goes to a temporary sibling that is
 * renamed over the target only once it is complete.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Receives the stream of the temporary file. */
  @FunctionalInterface
  public interface Writer {
    void write(OutputStream out) throws IOException;
  }

  /** Writes through a temporary file in the same directory, then renames it to {@code target}. */
  public static void write(Path target, Writer writer) {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        writer.write(out);
      }
      moveIntoPlace(tmp, abs);
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort: the temporary name never looks like a finished file
        }
      }
    }
  }

  public static void writeString(Path target, String content) {
    write(target, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
  }

  /** Renames a finished temporary file or directory over {@code target}, atomically where the OS allows. */
  public static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
