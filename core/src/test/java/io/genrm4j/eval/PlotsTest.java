package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
  @TempDir Path dir;

  private static Map<String, double[]> curves() {
    Map<String, double[]> c = new LinkedHashMap<>();
    c.put(Plots.PASS_AT_N, new double[] {0.40, 0.55, 0.68, 0.78, 0.85, 0.90});
    c.put(Plots.SELF_CONSISTENCY, new double[] {0.40, 0.41, 0.47, 0.50, 0.52, 0.53});
    c.put("GenRM-CoT", new double[] {0.40, 0.48, 0.55, 0.60, 0.63, 0.65});
    c.put("ORM", new double[] {0.40, 0.46, 0.51, 0.54, 0.55, 0.56});
    return c;
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  private static void assertPng(Path p) throws IOException {
    assertTrue(Files.isRegularFile(p), p + " missing");
    BufferedImage img = ImageIO.read(p.toFile());
    assertNotNull(img, p + " does not decode");
    assertEquals(Plots.WIDTH, img.getWidth());
    assertEquals(Plots.HEIGHT, img.getHeight());
  }

  @Test
  void bestOfNPlotWritesDecodablePngAtomically() throws IOException {
    Path png = dir.resolve("best_of_n.png");
    Plots.bestOfNPlot(png, "Best-of-N on GSM8K", new int[] {1, 2, 4, 8, 16, 32}, curves());
    assertPng(png);
    // overwrite in place
    Plots.bestOfNPlot(png, "again", new int[] {1, 2, 4, 8, 16, 32}, curves());
    assertPng(png);
    assertEquals(List.of("best_of_n.png"), listing());
  }

  @Test
  void accuracyVsVotesPlotAndNameWithoutExtension() throws IOException {
    Map<String, double[]> c = new LinkedHashMap<>();
    c.put("GenRM-CoT", new double[] {0.50, 0.55, 0.58, 0.60, 0.61, 0.62});
    Path sub = dir.resolve("nested/dir/votes"); // no extension: written exactly here, not at votes.png
    Plots.accuracyVsVotesPlot(sub, "Votes", new int[] {1, 2, 4, 8, 16, 32}, c);
    assertPng(sub);
    assertFalse(Files.exists(dir.resolve("nested/dir/votes.png")));
    try (Stream<Path> s = Files.list(sub.getParent())) {
      assertEquals(1, s.count());
    }
  }

  @Test
  void failureLeavesNothingBehind() throws IOException {
    Path png = dir.resolve("bad.png");
    Map<String, double[]> bad = Map.of("ORM", new double[] {0.1});
    assertThrows(IllegalArgumentException.class, () -> Plots.bestOfNPlot(png, "t", new int[] {1, 2}, bad));
    assertThrows(IllegalArgumentException.class, () -> Plots.bestOfNPlot(png, "t", new int[] {1}, Map.of()));
    assertEquals(List.of(), listing());
  }

  @Test
  void log2TickLabels() {
    assertEquals("1", Plots.log2Label(0.0));
    assertEquals("32", Plots.log2Label(5.0));
    assertEquals("5.7", Plots.log2Label(2.5));
    assertEquals("0.50", Plots.log2Label(-1.0));
  }
}
