package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MarkdownTableTest {
  @Test
  void rendersAlignedPercentTable() {
    String md = MarkdownTable.of("Method", "N=1", "N=32", "AUROC")
        .align(3, MarkdownTable.Align.CENTER)
        .row("GenRM-CoT", 0.5123, 0.7749, MarkdownTable.num(0.91234, 3))
        .row("ORM|v2", 1.0, Double.NaN, null)
        .render();
    String exact =
        "| Method    |    N=1 |  N=32 | AUROC |\n"
            + "| :-------- | -----: | ----: | :---: |\n"
            + "| GenRM-CoT |  51.2% | 77.5% | 0.912 |\n"
            + "| ORM\\|v2   | 100.0% |     – |   –   |\n";
    assertEquals(exact, md);
    assertEquals("12.3%", MarkdownTable.pct(0.1234));
    assertEquals("0.0%", MarkdownTable.pct(0.0));
    assertEquals("–", MarkdownTable.pct(Double.NaN));
  }

  @Test
  void rejectsWrongRowWidth() {
    assertThrows(IllegalArgumentException.class, () -> MarkdownTable.of("a", "b").row("x"));
    assertThrows(IllegalArgumentException.class, () -> MarkdownTable.of());
  }
}
