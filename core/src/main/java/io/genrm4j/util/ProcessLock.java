package io.genrm4j.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One genrm process at a time in a run directory or on a shared cache entry: an OS lock on a small file
 * ({@code .genrm.lock} in a run directory), which the OS releases when the process ends, however it ends, so a killed
 * run never leaves a stale lock. The file stays (deleting it would let a waiting process lock a file that no longer
 * has the name); it holds the holder's pid.
 */
public final class ProcessLock implements AutoCloseable {
  /** The lock file's name inside a locked directory. */
  public static final String FILE = ".genrm.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private ProcessLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Holds {@code dir}'s lock (creating the directory), or refuses with one line when another process, or another job
   * of this one, holds it: a second run into one directory would redo and overwrite the first's stages.
   */
  public static ProcessLock exclusive(Path dir) {
    Path file = dir.resolve(FILE);
    FileChannel ch = open(file);
    FileLock l = tryLock(ch, file);
    if (l == null) {
      String holder = holder(file);
      close(ch);
      throw new UserException(dir + ": in use by another genrm process" + (holder.isEmpty() ? "" : " (pid " + holder
          + ")") + "; wait for it to end or stop it");
    }
    return claimed(ch, l, file);
  }

  /**
   * Holds the lock of {@code file}, waiting while another process holds it ({@code onWait} runs once, first): for a
   * shared cache entry that the other process is building.
   */
  public static ProcessLock waitFor(Path file, Runnable onWait) {
    FileChannel ch = open(file);
    FileLock l = tryLock(ch, file);
    if (l == null) {
      onWait.run();
      try {
        l = ch.lock();
      } catch (IOException | OverlappingFileLockException e) {
        close(ch);
        throw new UserException(file + ": cannot lock: " + e.getMessage());
      }
    }
    return claimed(ch, l, file);
  }

  private static FileChannel open(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UserException(file + ": cannot create: " + e.getMessage());
    }
  }

  /** The lock, or null when another process (or another job of this JVM) holds it. */
  private static FileLock tryLock(FileChannel ch, Path file) {
    try {
      return ch.tryLock();
    } catch (OverlappingFileLockException e) {
      return null;
    } catch (IOException e) {
      close(ch);
      throw new UserException(file + ": cannot lock: " + e.getMessage());
    }
  }

  /** Writes this process's pid into the held file. */
  private static ProcessLock claimed(FileChannel ch, FileLock l, Path file) {
    try {
      ch.truncate(0);
      ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
    } catch (IOException e) {
      // the pid only makes the refusal's message more helpful
    }
    return new ProcessLock(ch, l);
  }

  private static String holder(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return "";
    }
  }

  private static void close(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing was locked through it
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel releases it too
    }
    close(channel);
  }
}
