package io.genrm4j.util;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes that never leave a half-written file under the final name: content goes to a temporary sibling
 * ({@code .NAME.genrm-PID.RANDOM.tmp}) that is fsynced and renamed over the target only once it is complete, then the
 * directory is fsynced, so the new content survives a power loss once {@code write} returns. The target keeps its
 * mode when it exists; a new file gets the umask default, as any other write would. Temporary files that a killed
 * process left for the same target are removed on the next write of it.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Receives the stream of the temporary file. */
  @FunctionalInterface
  public interface Writer {
    void write(OutputStream out) throws IOException;
  }

  /** How temporary files of {@code target} (a file name) start; the writer's pid follows. */
  public static String tempPrefix(String target) {
    return "." + target + ".genrm-";
  }

  /** Writes through a temporary file in the same directory, then renames it to {@code target}. */
  public static void write(Path target, Writer writer) {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      removeStaleTemporaries(abs);
      tmp = createTemporary(abs);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        writer.write(out);
        out.flush();
        ch.force(true);
      }
      keepMode(abs, tmp);
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

  /**
   * Renames a finished temporary file or directory over {@code target}, atomically where the OS allows, and fsyncs
   * the directory so the rename itself is durable.
   */
  public static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    syncDirectory(target.toAbsolutePath().getParent());
  }

  /** A new empty file with default permissions (Files.createTempFile would make it 0600 whatever the umask). */
  private static Path createTemporary(Path target) throws IOException {
    String prefix = tempPrefix(target.getFileName().toString()) + ProcessHandle.current().pid() + ".";
    for (int attempt = 0; ; attempt++) {
      Path tmp = target.resolveSibling(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()) + ".tmp");
      try {
        return Files.createFile(tmp);
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 100) {
          throw e;
        }
      }
    }
  }

  /** Gives {@code tmp} the POSIX mode of an existing {@code target}. */
  private static void keepMode(Path target, Path tmp) throws IOException {
    PosixFileAttributeView was = Files.getFileAttributeView(target, PosixFileAttributeView.class);
    if (was != null && Files.exists(target)) {
      Files.setPosixFilePermissions(tmp, was.readAttributes().permissions());
    }
  }

  /** Removes temporary files of {@code target} whose writing process is gone (killed before its rename). */
  private static void removeStaleTemporaries(Path target) {
    String prefix = tempPrefix(target.getFileName().toString());
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(target.getParent(), glob(prefix) + "*.tmp")) {
      for (Path p : ds) {
        String rest = p.getFileName().toString().substring(prefix.length());
        int dot = rest.indexOf('.');
        long pid;
        try {
          pid = Long.parseLong(dot < 0 ? rest : rest.substring(0, dot));
        } catch (NumberFormatException e) {
          continue;
        }
        if (ProcessHandle.of(pid).isEmpty()) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // cleaning is best effort: a stale temporary file only costs disk space
    }
  }

  private static String glob(String literal) {
    return literal.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // not every OS or file system can open or sync a directory; the rename itself is still atomic
    }
  }
}
