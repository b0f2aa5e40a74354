package io.genrm4j.eval;

import io.genrm4j.task.Split;
import java.util.LinkedHashMap;
import java.util.Map;

/** The report's plots, per test split: Best-of-N over N, and Best-of-(profile N) over the number of rationales K. */
final class ReportPlots {
  private ReportPlots() {}

  static void write(RunDir dir, ReportMetrics m) {
    ExperimentProfile prof = m.profile();
    int[] ns = prof.ns();
    int[] ks = prof.ks();
    for (Map.Entry<Split, ReportMetrics.SplitMetrics> e : m.splits().entrySet()) {
      Split s = e.getKey();
      Map<String, double[]> curves = new LinkedHashMap<>();
      e.getValue().bestOfN().forEach((method, c) -> curves.put(method.equals(ExperimentReport.PASS) ? Plots.PASS_AT_N
          : method.equals(ExperimentReport.SC) ? Plots.SELF_CONSISTENCY : method, BestOfN.values(c, ns)));
      Plots.bestOfNPlot(dir.bestOfNPlot(s), m.task() + " " + s.id() + ": Best-of-N", ns, curves);
      Map<String, double[]> votes = new LinkedHashMap<>();
      e.getValue().votes().forEach((method, c) -> votes.put(method + " (Best-of-" + prof.n() + ")",
          BestOfN.values(c, ks)));
      Plots.accuracyVsVotesPlot(dir.votesPlot(s), m.task() + " " + s.id() + ": accuracy vs rationales K", ks, votes);
    }
  }
}
