package io.genrm4j.eval;

import io.genrm4j.util.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Line charts of the evaluation, written as PNG files atomically (the bytes go to a temporary sibling that is renamed
 * over the target, so a reader never sees a half-written image and a failure leaves no file behind).
 *
 * <p>Curves are given as fractions in [0, 1] and drawn as percentages. The x axis is log2: points sit at log2(x)
 * and the ticks at whole powers of two are labelled with the power (1, 2, 4, ..., 32). Rendering is headless:
 * {@code java.awt.headless} is set to {@code true} unless the caller set it already.
 */
public final class Plots {
  /** Default image size in pixels. */
  public static final int WIDTH = 800;

  public static final int HEIGHT = 500;

  /**
   * Legend name conventionally used for the oracle curve. Any series whose name contains "pass@" (any case) is drawn
   * as a grey dashed line without markers.
   */
  public static final String PASS_AT_N = "Pass@N";

  /**
   * Legend name conventionally used for majority voting. Any series whose name contains "self-consistency" or
   * "majority" (any case) is drawn black, dotted, with diamond markers.
   */
  public static final String SELF_CONSISTENCY = "Self-consistency";

  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
    new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf),
  };

  private static final Marker[] MARKERS = {
    SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN,
    SeriesMarkers.CROSS, SeriesMarkers.PLUS, SeriesMarkers.OVAL, SeriesMarkers.RECTANGLE,
  };

  private Plots() {}

  /**
   * Best-of-N accuracy (%) against N on a log2 axis, one line per method; Pass@N dashed, self-consistency dotted
   * (recognised by name, see {@link #PASS_AT_N} and {@link #SELF_CONSISTENCY}). Legend in insertion order of
   * {@code methodCurves} (use a {@link java.util.LinkedHashMap}).
   *
   * @param ns the N of each point, all &gt;= 1
   * @param methodCurves legend name to accuracy fractions, each of the length of {@code ns}; NaN leaves a gap
   */
  public static void bestOfNPlot(Path png, String title, int[] ns, Map<String, double[]> methodCurves) {
    save(png, chart(title, "N (solutions per problem, log2 scale)", "Accuracy (%)", ns, methodCurves));
  }

  /**
   * Accuracy (%) against the number of votes K (e.g. sampled verification rationales of GenRM-CoT) on a log2 axis,
   * one line per curve; styled like {@link #bestOfNPlot}.
   */
  public static void accuracyVsVotesPlot(Path png, String title, int[] ks, Map<String, double[]> curves) {
    save(png, chart(title, "Number of votes K (log2 scale)", "Accuracy (%)", ks, curves));
  }

  static XYChart chart(String title, String xTitle, String yTitle, int[] xs, Map<String, double[]> curves) {
    Objects.requireNonNull(xs, "xs");
    Objects.requireNonNull(curves, "curves");
    if (xs.length == 0 || curves.isEmpty()) {
      throw new IllegalArgumentException("nothing to plot: " + xs.length + " points, " + curves.size() + " curves");
    }
    ensureHeadless();
    double[] x = new double[xs.length];
    for (int i = 0; i < xs.length; i++) {
      if (xs[i] < 1) {
        throw new IllegalArgumentException("x = " + xs[i] + " cannot go on a log2 axis");
      }
      x[i] = Math.log(xs[i]) / Math.log(2);
    }
    XYChart chart =
        new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title == null ? "" : title)
            .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    XYStyler st = chart.getStyler();
    st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    st.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
    st.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    st.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    st.setLegendPosition(Styler.LegendPosition.OutsideE);
    st.setChartBackgroundColor(Color.WHITE);
    st.setPlotBackgroundColor(Color.WHITE);
    st.setPlotGridLinesColor(new Color(0xDDDDDD));
    st.setMarkerSize(8);
    st.setYAxisDecimalPattern("0.#");
    // Ticks are labelled with N itself (1, 2, 4, ...), not with log2(N).
    st.setXAxisTickMarkSpacingHint(90);
    st.setxAxisTickLabelsFormattingFunction(Plots::log2Label);
    double lo = x[0];
    double hi = x[0];
    for (double v : x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    double pad = Math.max(0.15, (hi - lo) * 0.03);
    st.setXAxisMin(lo - pad);
    st.setXAxisMax(hi + pad);

    int k = 0;
    for (Map.Entry<String, double[]> e : curves.entrySet()) {
      String name = Objects.requireNonNull(e.getKey(), "curve name");
      double[] ys = Objects.requireNonNull(e.getValue(), "curve " + name);
      if (ys.length != xs.length) {
        throw new IllegalArgumentException(
            "curve '" + name + "' has " + ys.length + " values for " + xs.length + " points");
      }
      double[] pct = new double[ys.length];
      for (int i = 0; i < ys.length; i++) {
        pct[i] = 100.0 * ys[i];
      }
      XYSeries s = chart.addSeries(name, x, pct);
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.contains("pass@")) {
        s.setLineColor(Color.GRAY);
        s.setLineStyle(new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {9f, 6f}, 0f));
        s.setMarker(SeriesMarkers.NONE);
      } else if (lower.contains("self-consistency") || lower.contains("majority")) {
        s.setLineColor(Color.BLACK);
        s.setMarkerColor(Color.BLACK);
        s.setLineStyle(new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {2f, 5f}, 0f));
        s.setMarker(SeriesMarkers.DIAMOND);
      } else {
        Color c = PALETTE[k % PALETTE.length];
        s.setLineColor(c);
        s.setMarkerColor(c);
        s.setLineStyle(new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        s.setMarker(MARKERS[k % MARKERS.length]);
        k++;
      }
    }
    return chart;
  }

  /**
   * The label of a tick at log2 position {@code v}: the power of two at whole positions, otherwise 2^v to two
   * significant digits. Never empty: XChart sizes its ticks from the labels at the axis ends and draws none when
   * those are empty.
   */
  static String log2Label(Double v) {
    double r = Math.rint(v);
    if (Math.abs(v - r) < 1e-6 && r >= 0 && r <= 62) {
      return Long.toString(1L << (long) r);
    }
    return String.format(Locale.ROOT, "%.2g", Math.pow(2, v));
  }

  private static void save(Path png, XYChart chart) {
    Objects.requireNonNull(png, "png");
    AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
  }

  private static void ensureHeadless() {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }
}
