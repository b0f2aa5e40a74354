package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class InterruptionTest {
  @Test
  @DisabledOnOs(OS.WINDOWS) // no SIGTERM there
  void sigtermDuringTrainingEndsWithOneLineAndNoCrashReport(@TempDir Path dir) throws Exception {
    // A real `genrm bench train` in its own JVM, stopped mid-training as a user's Ctrl-C or a scheduler would.
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-Dai.djl.offline=true",
        "-Dai.djl.pytorch.num_threads=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "bench", "train", "--preset", "tiny", "--seq-len", "256", "--steps", "100000", "--warmup-steps", "1"))
        .directory(dir.toFile()).redirectErrorStream(true);
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      int seen = 0;
      for (int c; (c = r.read()) >= 0; ) {
        out.append((char) c);
        if (out.indexOf("step/s", seen) >= 0) { // the progress bar moves: training steps are running
          seen = out.length();
          if (out.toString().split("step/s").length > 4) {
            break;
          }
        }
      }
      Thread.sleep(300);
      p.toHandle().destroy(); // SIGTERM (Process.destroy would also close the output we still read)
      for (int c; (c = r.read()) >= 0; ) {
        out.append((char) c);
      }
    } finally {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    assertEquals(128 + 15, p.exitValue(), out.toString());
    assertTrue(out.toString().contains("genrm: stopped by SIGTERM"), out.toString());
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("hs_err")), "no JVM crash report");
    }
  }
}
