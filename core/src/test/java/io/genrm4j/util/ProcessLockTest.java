package io.genrm4j.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessLockTest {
  @Test
  void aSecondHolderIsRefusedUntilTheFirstLetsGo(@TempDir Path dir) {
    Path run = dir.resolve("run");
    try (ProcessLock first = ProcessLock.exclusive(run)) {
      UserException e = assertThrows(UserException.class, () -> ProcessLock.exclusive(run));
      assertTrue(e.getMessage().contains("in use by another genrm process (pid " + ProcessHandle.current().pid()),
          e.getMessage());
    }
    try (ProcessLock again = ProcessLock.exclusive(run)) {
      assertTrue(run.resolve(ProcessLock.FILE).toFile().isFile());
    }
  }

  /** Holds the lock of args[0] ("dir" for exclusive, "file" for waitFor) on args[1], says so, and sleeps. */
  public static void main(String[] args) throws Exception {
    Path p = Path.of(args[1]);
    try (ProcessLock l = args[0].equals("dir") ? ProcessLock.exclusive(p) : ProcessLock.waitFor(p, () -> {})) {
      System.out.println("held");
      System.out.flush();
      Thread.sleep(60_000);
    }
  }

  private static Process holder(String kind, Path p) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
        ProcessLockTest.class.getName(), kind, p.toString())).redirectErrorStream(true).start();
    BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("held", r.readLine());
    return child;
  }

  @Test
  void anotherProcesssLockRefusesAndAKilledHolderLeavesNoStaleLock(@TempDir Path dir) throws Exception {
    Process child = holder("dir", dir);
    try {
      UserException e = assertThrows(UserException.class, () -> ProcessLock.exclusive(dir));
      assertTrue(e.getMessage().contains("(pid " + child.pid() + ")"), e.getMessage());
    } finally {
      child.destroyForcibly(); // SIGKILL: no chance to clean up
      child.waitFor(30, TimeUnit.SECONDS);
    }
    try (ProcessLock mine = ProcessLock.exclusive(dir)) {
      assertTrue(dir.resolve(ProcessLock.FILE).toFile().isFile());
    }
  }

  @Test
  void aWaiterGetsTheLockWhenTheBuilderEnds(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("base.lock");
    Process child = holder("file", file);
    AtomicBoolean waited = new AtomicBoolean();
    CompletableFuture<Boolean> got = CompletableFuture.supplyAsync(() -> {
      try (ProcessLock l = ProcessLock.waitFor(file, () -> waited.set(true))) {
        return true;
      }
    });
    try {
      Thread.sleep(500);
      assertTrue(waited.get(), "told the user it waits");
      assertTrue(!got.isDone(), "still waiting while the other process holds the lock");
    } finally {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
    assertTrue(got.get(30, TimeUnit.SECONDS));
  }
}
