package io.genrm4j.verify;

import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.LogProbs;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Prompts;
import java.util.ArrayList;
import java.util.List;

/**
 * A GenRM-CoT verifier's judgement given the oracle's own rationale: the model reads the question, a candidate and
 * the oracle's rationale body up to its last word, and the probe compares the log-probabilities of the two judgements
 * ({@link Prompts#JUDGED_CORRECT}, {@link Prompts#JUDGED_WRONG}). A sampled rationale can fail by re-solving wrongly
 * or by comparing wrongly; here the re-solve is given and only the comparison is the model's (issue #21: the quick
 * run's verifier judged {@code eyee} against {@code eyee} "wrong").
 */
public final class OracleVerdictProbe {
  private OracleVerdictProbe() {}

  /** Candidates per forward pass (two rows each). */
  private static final int BATCH = 16;

  /**
   * log p(correct) - log p(wrong) for each candidate, at the rationale positions the checkpoint was trained with.
   * With running marks ({@link AnswerComparison#MARKED}) the oracle's marks would give the judgement away, so the
   * probe stops before them and reads the one path that accepts (every mark 1, then {@code correct}): the margin is
   * the log-odds of that path.
   *
   * @param bodies the oracle's rationale body for each candidate (no verdict line), ending in a judgement word
   */
  public static double[] margins(LlamaModel m, Tokenizer tok, Prompts.Format f, RationalePositions rp,
      List<GenRmCot.Candidate> items, List<String> bodies) {
    double[] out = new double[items.size()];
    for (int from = 0; from < items.size(); from += BATCH) {
      int to = Math.min(items.size(), from + BATCH);
      List<int[]> rows = new ArrayList<>();
      List<int[]> positions = new ArrayList<>();
      List<int[]> words = new ArrayList<>();
      List<Judged> judged = new ArrayList<>();
      for (int i = from; i < to; i++) {
        GenRmCot.Candidate c = items.get(i);
        Judged j = judged(bodies.get(i));
        judged.add(j);
        int[] prompt = tok.encodeWithBos(f.verifyCot(c.question(), c.solution()));
        int[] context = Tokenizer.concat(prompt, tok.encode(j.context()));
        for (String w : j.reject() == null ? List.of(j.accept()) : List.of(j.accept(), j.reject())) {
          int[] word = tok.encode(w);
          int[] ids = Tokenizer.concat(context, word);
          rows.add(ids);
          positions.add(rp.positions(tok, f, c.question(), prompt.length, ids));
          words.add(word);
        }
      }
      double[] lp = continuationLogProbs(m, tok, rows, positions, words);
      int r = 0;
      for (int i = from; i < to; i++) {
        double accept = lp[r++];
        out[i] = judged.get(i - from).reject() == null ? accept - Math.log(-Math.expm1(Math.min(accept, -1e-12)))
            : accept - lp[r++];
      }
    }
    return out;
  }

  /**
   * What the probe reads of a body: the text up to where the judgement is decided, the continuation that accepts
   * and the one that rejects (null under running marks, where rejecting has many paths).
   */
  record Judged(String context, String accept, String reject) {}

  static Judged judged(String body) {
    String cut = withoutJudgement(body);
    int restated = cut.indexOf(Prompts.RESTATED_ANSWER);
    int[] marks = restated < 0 ? null : AnswerComparison.marksIn(cut, restated + Prompts.RESTATED_ANSWER.length());
    if (marks == null) {
      return new Judged(cut, Prompts.JUDGED_CORRECT, Prompts.JUDGED_WRONG);
    }
    String allSame = String.valueOf(AnswerComparison.SAME).repeat(marks[1] - marks[0]);
    return new Judged(cut.substring(0, marks[0]), allSame + cut.substring(marks[1]) + Prompts.JUDGED_CORRECT, null);
  }

  /** The body without its last word, which must be a judgement. */
  static String withoutJudgement(String body) {
    for (String w : List.of(Prompts.JUDGED_CORRECT, Prompts.JUDGED_WRONG)) {
      if (body.endsWith(w)) {
        return body.substring(0, body.length() - w.length());
      }
    }
    throw new IllegalArgumentException("the rationale does not end in a judgement: " + body);
  }

  /** Summed log p of each row's last {@code words.get(r).length} tokens, one forward pass at the given positions. */
  private static double[] continuationLogProbs(LlamaModel m, Tokenizer tok, List<int[]> rows, List<int[]> positions,
      List<int[]> words) {
    float[][] lp = LogProbs.perToken(m, rows, positions, Math.max(0, tok.padId()), m.manager());
    double[] out = new double[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      for (int j = lp[r].length - words.get(r).length; j < lp[r].length; j++) {
        out[r] += lp[r][j]; // lp[j] is log p of token j + 1
      }
    }
    return out;
  }
}
