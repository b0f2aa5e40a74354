package io.genrm4j.verify;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Prompts;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a GenRM-CoT rationale sits in rotary-position space. The text is the paper's either way (question, solution,
 * {@code Verification: Let's verify step by step.}, rationale); only the position ids differ.
 *
 * <ul>
 *   <li>{@link #SEQUENTIAL}: 0, 1, 2, ... through the whole sequence, as every pretrained model expects.
 *   <li>{@link #SOLUTION}: the rationale's positions restart where the candidate solution's started, so a rationale
 *       that re-solves the problem sees the question at exactly the distances the generator saw when it wrote a
 *       solution, and its line k sits next to the candidate's line k. A length-generalisation trick for models
 *       trained from scratch: the generator learned those distances for every length, the CoT data covers only the
 *       in-distribution lengths. Rotary attention depends on distances only, so two tokens may share a position.
 *   <li>{@link #COUPLED}: as {@link #SOLUTION}, and the candidate's answer restated in the rationale's comparison
 *       ({@code The answer is eyee; the solution's answer is eye: wrong.}) takes the positions of the re-solved answer,
 *       letter j on letter j, so comparing the two is a look-up at distance 0 whatever their length (position
 *       coupling, Cho et al. 2024). What follows the restated answer is where it would have been without. Issue #21:
 *       a tiny verifier trained with the other layouts wrote {@code eyee; ... eyee: wrong.} (in-distribution AUROC
 *       0.54): it never learned to compare two strings 27 characters apart.
 *   <li>{@link #COUPLED_LINES}: as {@link #COUPLED}, and each line of the rationale starts where the candidate's line
 *       of the same index does, and its re-solved answer sits on the candidate's answer (character j on character j),
 *       the rest of the rationale counting on from there; so every line, both answers and the restatement line up
 *       whatever the lengths of the lines before them. Issue #21: under {@link #COUPLED} a word-sorting verifier
 *       judged by whether the rationale's answer line fell on the candidate's (it does when every line before it has
 *       the same length): 1 of 18 rationales whose restated and re-solved answers were identical but misaligned was
 *       judged correct, and about half of the aligned wrong candidates (docs/results/2026-12-05-line-coupling.md).
 * </ul>
 */
public enum RationalePositions {
  SEQUENTIAL,
  SOLUTION,
  COUPLED,
  COUPLED_LINES;

  /** The position of the first rationale token, given the question and the CoT prompt's length in tokens. */
  public int rationaleStart(Tokenizer tok, Prompts.Format format, String question, int promptLength) {
    return this == SEQUENTIAL ? promptLength : tok.encodeWithBos(format.solve(question)).length;
  }

  /**
   * Positions of a CoT sequence {@code ids} (prompt, then rationale so far): the prompt counts from 0, the rationale
   * from its start (under {@link #COUPLED_LINES} line by line on the candidate's), and under {@link #COUPLED} and
   * {@link #COUPLED_LINES} the restated answer sits on the re-solved one. The positions of a
   * prefix are a prefix of the positions, so a decoder can extend them a token at a time.
   */
  public int[] positions(Tokenizer tok, Prompts.Format format, String question, int promptLength, int[] ids) {
    return positions(tok, promptLength, rationaleStart(tok, format, question, promptLength), ids);
  }

  /** As above, the rationale starting at position {@code start} ({@link #rationaleStart}). */
  public int[] positions(Tokenizer tok, int promptLength, int start, int[] ids) {
    int[] p = layout(promptLength, start, ids.length);
    if (this == COUPLED_LINES) {
      coupleLines(tok, ids, promptLength, start, p);
    }
    if (textDependent()) {
      coupleRestatedAnswer(tok, ids, promptLength, p);
    }
    return p;
  }

  /** Whether a rationale token's position depends on the text before it (and so is computed as it is sampled). */
  public boolean textDependent() {
    return this == COUPLED || this == COUPLED_LINES;
  }

  /**
   * {@link #COUPLED_LINES}' layout before the restatement is placed: rationale line k's first token on candidate line
   * k's first token (while the candidate has a line k before its answer line), the re-solved answer's character j
   * (after the rationale's first {@link Prompts#ANSWER_PREFIX}, up to the first character that is not a letter or a
   * space) on the candidate answer's character j, every other token one after the token before. A token's position
   * depends on it and the tokens before it only, so a decoder can extend the positions a token at a time.
   */
  static void coupleLines(Tokenizer tok, int[] ids, int promptLength, int start, int[] p) {
    CandidateLines cand = CandidateLines.of(tok, ids, promptLength, start);
    if (cand == null) {
      return; // no answer line in the candidate: nothing to line up with
    }
    StringBuilder text = new StringBuilder();
    int line = 0;
    int x = -1; // offset in the rationale of its re-solved answer's first character
    boolean inX = false;
    int previous = 0; // the previous token's offset in the rationale
    for (int i = promptLength; i < ids.length; i++) {
      int off = text.length();
      String t = tok.tokenText(ids[i]);
      text.append(t);
      // an answer prefix not accepted before ends after the previous token's start: search only from there
      int prefix = x < 0 ? text.indexOf(Prompts.ANSWER_PREFIX, Math.max(0, previous - Prompts.ANSWER_PREFIX.length()))
          : -1;
      previous = off;
      if (prefix >= 0 && prefix + Prompts.ANSWER_PREFIX.length() <= off) {
        x = prefix + Prompts.ANSWER_PREFIX.length();
        inX = true;
      }
      inX = inX && t.chars().allMatch(c -> Character.isLetter(c) || c == ' ');
      boolean newLine = off > 0 && text.charAt(off - 1) == '\n';
      line += newLine ? 1 : 0;
      if (inX) {
        p[i] = cand.answer() + (off - x); // character tokens: answer character j is the j-th token after its first
      } else if (newLine && x < 0 && line < cand.stepLines().size()) {
        p[i] = cand.stepLines().get(line);
      } else if (i > promptLength) {
        p[i] = p[i - 1] + 1;
      }
    }
  }

  /**
   * Where the candidate solution's lines are in a CoT prompt (token indices, which are its positions).
   *
   * @param stepLines the first token of each line before the answer line
   * @param answer the first token of the answer after {@link Prompts#ANSWER_PREFIX}
   */
  record CandidateLines(List<Integer> stepLines, int answer) {
    /** The lines of the solution that starts at token {@code start} of the prompt; null without an answer line. */
    static CandidateLines of(Tokenizer tok, int[] ids, int promptLength, int start) {
      int[] at = new int[Math.max(0, promptLength - start)];
      String text = text(tok, ids, start, promptLength, at); // the prompt from the solution's first token
      int end = text.lastIndexOf(Prompts.COT_SUFFIX);
      int answerLine = end < 0 ? -1 : text.lastIndexOf("\n" + Prompts.ANSWER_PREFIX, end) + 1;
      if (answerLine < 0 || answerLine == 0 && text.indexOf(Prompts.ANSWER_PREFIX) != 0) {
        return null;
      }
      int answerAt = answerLine + Prompts.ANSWER_PREFIX.length();
      List<Integer> lines = new ArrayList<>();
      int answer = -1;
      for (int i = start; i < promptLength; i++) {
        int off = at[i - start];
        if (off < answerLine && (off == 0 || text.charAt(off - 1) == '\n')) {
          lines.add(i);
        }
        answer = off == answerAt ? i : answer;
      }
      return answer < 0 ? null : new CandidateLines(lines, answer);
    }
  }

  /**
   * Moves the tokens of the restated answer (after {@link Prompts#RESTATED_ANSWER}, up to the next {@code :}) onto
   * the positions of the re-solved answer's characters (after the rationale's first {@link Prompts#ANSWER_PREFIX}),
   * character j on character j; past its last character they count on from there. With running marks after it
   * ({@link AnswerComparison#MARKED}: {@code hlea / 1100}) the separator counts on from the restated answer, mark j
   * sits one after the re-solved answer's character j (character tokens), and what follows the marks (the
   * judgement, the verdict line) counts on from the last mark, so the judgement reads the last mark at distance one
   * whatever the answer's length. A token's position depends on it and the tokens before it only.
   */
  static void coupleRestatedAnswer(Tokenizer tok, int[] ids, int promptLength, int[] p) {
    int[] tokenAt = new int[ids.length - promptLength]; // rationale token i's offset in its text, at i - promptLength
    String text = text(tok, ids, promptLength, ids.length, tokenAt);
    int x = text.indexOf(Prompts.ANSWER_PREFIX);
    int marker = x < 0 ? -1 : text.indexOf(Prompts.RESTATED_ANSWER, x);
    if (marker < 0) {
      return;
    }
    int y = marker + Prompts.RESTATED_ANSWER.length();
    int[] marks = AnswerComparison.marksIn(text, y); // null: a whole comparison (or no marks yet)
    boolean marked = marks != null;
    int yEnd = marked ? marks[0] - AnswerComparison.MARKS_FROM.length() : text.indexOf(":", y);
    int xStart = x + Prompts.ANSWER_PREFIX.length();
    int xLength = marker - xStart;
    if (xLength <= 0) {
      return;
    }
    int firstX = -1; // the token holding the re-solved answer's first character
    for (int i = promptLength; i < ids.length && firstX < 0; i++) {
      if (tokenAt[i - promptLength] >= xStart) {
        firstX = i;
      }
    }
    for (int i = promptLength; i < ids.length; i++) {
      int off = tokenAt[i - promptLength];
      int j = off - y;
      if (j >= 0 && (yEnd < 0 || off < yEnd)) {
        p[i] = p[firstX] + j; // the re-solved answer's character j sits at p[firstX] + j (rationale text is in order)
      } else if (marked && off >= yEnd) {
        // the separator and what follows the marks count on; mark m sits one after re-solved character m
        p[i] = off >= marks[0] && off < marks[1] ? p[firstX] + (off - marks[0]) + 1 : p[i - 1] + 1;
      }
    }
  }

  /** The text of tokens {@code from} .. {@code to - 1}; {@code offsets[i - from]} gets token i's offset in it. */
  private static String text(Tokenizer tok, int[] ids, int from, int to, int[] offsets) {
    StringBuilder text = new StringBuilder();
    for (int i = from; i < to; i++) {
      offsets[i - from] = text.length();
      text.append(tok.tokenText(ids[i]));
    }
    return text.toString();
  }

  /** 0 .. promptLength-1, then {@code start}, start+1, ... up to {@code total} positions. */
  static int[] layout(int promptLength, int start, int total) {
    int[] p = new int[total];
    for (int i = 0; i < total; i++) {
      p[i] = i < promptLength ? i : start + (i - promptLength);
    }
    return p;
  }

  /** The name used on the command line and in files: {@code sequential}, {@code solution}, ... */
  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static RationalePositions of(String id) {
    for (RationalePositions r : values()) {
      if (r.id().equals(id)) {
        return r;
      }
    }
    throw new UserException("unknown rationale positions '" + id + "' (sequential, solution, coupled or coupled-lines)");
  }
}
