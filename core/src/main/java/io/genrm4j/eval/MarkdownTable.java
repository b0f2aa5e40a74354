package io.genrm4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A small builder of GitHub-flavoured Markdown tables for report.md, padded so the source reads as a table too.
 *
 * <pre>{@code
 * String md = MarkdownTable.of("Method", "N=1", "N=32")
 *     .row("GenRM-CoT", 0.512, 0.774)   // doubles are fractions, rendered "51.2%"
 *     .row("ORM", 0.498, 0.701)
 *     .render();
 * }</pre>
 *
 * <p>Cells: a {@link Double} or {@link Float} is a fraction rendered as a percentage with one decimal ({@link #pct});
 * NaN and {@code null} render as "–"; anything else via {@code toString()}. The first column is left-aligned and the
 * others right-aligned unless {@link #align} says otherwise. A '|' inside a cell is escaped, newlines become spaces.
 */
public final class MarkdownTable {
  /** Column alignment. */
  public enum Align {
    LEFT,
    CENTER,
    RIGHT
  }

  static final String MISSING = "–";

  private final List<String> header;
  private final Align[] align;
  private final List<List<String>> rows = new ArrayList<>();

  private MarkdownTable(String... header) {
    if (header.length == 0) {
      throw new IllegalArgumentException("a table needs at least one column");
    }
    this.header = new ArrayList<>();
    for (String h : header) {
      this.header.add(cell(Objects.requireNonNull(h, "header")));
    }
    align = new Align[header.length];
    Arrays.fill(align, Align.RIGHT);
    align[0] = Align.LEFT;
  }

  /** A table with these column headers. */
  public static MarkdownTable of(String... header) {
    return new MarkdownTable(header);
  }

  /** Sets the alignment of column {@code col} (0-based). */
  public MarkdownTable align(int col, Align a) {
    Objects.checkIndex(col, align.length);
    align[col] = Objects.requireNonNull(a);
    return this;
  }

  /** Sets the alignment of every column, in order. */
  public MarkdownTable align(Align... all) {
    if (all.length != align.length) {
      throw new IllegalArgumentException(all.length + " alignments for " + align.length + " columns");
    }
    System.arraycopy(all, 0, align, 0, all.length);
    return this;
  }

  /** Appends a row; it must have one cell per column. */
  public MarkdownTable row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException(cells.length + " cells for " + header.size() + " columns");
    }
    List<String> r = new ArrayList<>(cells.length);
    for (Object c : cells) {
      r.add(format(c));
    }
    rows.add(r);
    return this;
  }

  /** A fraction as a percentage with one decimal, e.g. 0.1234 -> "12.3%"; NaN -> "–". */
  /** Rows added so far. */
  public int rowCount() {
    return rows.size();
  }

  public static String pct(double fraction) {
    if (Double.isNaN(fraction)) {
      return MISSING;
    }
    return String.format(Locale.ROOT, "%.1f%%", 100.0 * fraction);
  }

  /** A number with {@code decimals} decimals (for non-percentage columns such as AUROC or ECE); NaN -> "–". */
  public static String num(double value, int decimals) {
    if (Double.isNaN(value)) {
      return MISSING;
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  /** The table as Markdown, ending in a newline. */
  public String render() {
    int cols = header.size();
    int[] width = new int[cols];
    for (int c = 0; c < cols; c++) {
      width[c] = Math.max(3, header.get(c).length());
      for (List<String> r : rows) {
        width[c] = Math.max(width[c], r.get(c).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, header, width);
    sb.append('|');
    for (int c = 0; c < cols; c++) {
      int w = width[c];
      sb.append(' ');
      switch (align[c]) {
        case LEFT -> sb.append(':').append("-".repeat(w - 1));
        case RIGHT -> sb.append("-".repeat(w - 1)).append(':');
        case CENTER -> sb.append(':').append("-".repeat(w - 2)).append(':');
        default -> throw new AssertionError();
      }
      sb.append(" |");
    }
    sb.append('\n');
    for (List<String> r : rows) {
      line(sb, r, width);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return render();
  }

  private void line(StringBuilder sb, List<String> cells, int[] width) {
    sb.append('|');
    for (int c = 0; c < cells.size(); c++) {
      String s = cells.get(c);
      int padding = width[c] - s.length();
      sb.append(' ');
      switch (align[c]) {
        case RIGHT -> sb.append(" ".repeat(padding)).append(s);
        case CENTER -> sb.append(" ".repeat(padding / 2)).append(s).append(" ".repeat(padding - padding / 2));
        default -> sb.append(s).append(" ".repeat(padding));
      }
      sb.append(" |");
    }
    sb.append('\n');
  }

  private static String format(Object c) {
    if (c == null) {
      return MISSING;
    }
    if (c instanceof Double || c instanceof Float) {
      return pct(((Number) c).doubleValue());
    }
    return cell(c.toString());
  }

  private static String cell(String s) {
    return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ').replace("|", "\\|");
  }
}
