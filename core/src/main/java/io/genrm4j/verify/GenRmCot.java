package io.genrm4j.verify;

import ai.djl.ndarray.NDManager;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SampleRequest;
import io.genrm4j.infer.Samples;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Prompts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GenRM-CoT: for each candidate, sample K verification rationales after {@code question + solution + "Verification:
 * Let's verify step by step."}, stop each at the decision question (appending {@code "\n\nVerification: Is the
 * answer correct (Yes/No)?"} when a rationale never reaches it), read p(Yes) there with temperature-1 probabilities,
 * and average the K renormalised values. Each candidate's prefix is encoded once; its K rationales are sampled from
 * the cached prefix in one batch, and candidates are batched together too.
 *
 * <p>The same class is LLM-as-a-Judge when the model was never trained to verify ({@link #judge}).
 */
public final class GenRmCot implements Verifier {
  /** Candidates whose K rationales are sampled in one batch. */
  static final int CANDIDATES_PER_BATCH = 32;
  private final LlamaModel model;
  private final Tokenizer tok;
  private final Prompts.Format format;
  private final int votes;
  private final SamplingParams params;
  private final VerifierKind kind;
  private final RationalePositions positions;
  private final Restatement restatement;

  public GenRmCot(LlamaModel model, Tokenizer tok, Prompts.Format format, int votes, SamplingParams params) {
    this(model, tok, format, votes, params, RationalePositions.SEQUENTIAL, Restatement.SAMPLED);
  }

  /**
   * @param positions where the rationale sits in position space: as the model was trained ({@link VerifierData#cot})
   * @param restatement who writes the candidate's answer the rationale restates
   */
  public GenRmCot(LlamaModel model, Tokenizer tok, Prompts.Format format, int votes, SamplingParams params,
      RationalePositions positions, Restatement restatement) {
    this(model, tok, format, votes, params, VerifierKind.GENRM_COT, positions, restatement);
  }

  private GenRmCot(LlamaModel model, Tokenizer tok, Prompts.Format format, int votes, SamplingParams params,
      VerifierKind kind, RationalePositions positions, Restatement restatement) {
    if (votes < 1) {
      throw new IllegalArgumentException("votes must be >= 1");
    }
    this.model = model;
    this.tok = tok;
    this.format = format;
    this.votes = votes;
    this.params = params.withStop(List.of(Prompts.DECISION));
    this.kind = kind;
    this.positions = positions;
    this.restatement = restatement;
  }

  /** LLM-as-a-Judge: the CoT verification prompt on a model that was not trained to verify, scored the same way. */
  public static GenRmCot judge(LlamaModel generator, Tokenizer tok, Prompts.Format format, int votes,
      SamplingParams params) {
    return new GenRmCot(generator, tok, format, votes, params, VerifierKind.LLM_JUDGE, RationalePositions.SEQUENTIAL,
        Restatement.SAMPLED);
  }

  @Override
  public VerifierKind kind() {
    return kind;
  }

  @Override
  public List<VerifierScore> score(String question, List<String> solutions) {
    return scoreAll(List.of(question), List.of(solutions)).get(0);
  }

  @Override
  public List<List<VerifierScore>> scoreAll(List<String> questions, List<List<String>> solutions) {
    for (int q = 0; q < questions.size(); q++) {
      requireFits(questions.get(q), solutions.get(q));
    }
    List<Candidate> items = new ArrayList<>();
    for (int q = 0; q < questions.size(); q++) {
      for (String s : solutions.get(q)) {
        items.add(new Candidate(questions.get(q), s));
      }
    }
    List<VerifierScore> flat = new ArrayList<>();
    for (int start = 0; start < items.size(); start += CANDIDATES_PER_BATCH) {
      flat.addAll(scoreBatch(items.subList(start, Math.min(items.size(), start + CANDIDATES_PER_BATCH)), start));
    }
    return Verifier.regroup(flat, solutions);
  }

  /**
   * The prompt takes positions 0 .. prompt-1; the rationale starts where {@link RationalePositions} puts it and gets
   * the room that is left, possibly none ({@link #rationaleBudgets}); after it the forced decision question and the
   * longer label must still fit.
   */
  @Override
  public void requireFits(String question, List<String> solutions) {
    int limit = model.config().maxPositionEmbeddings();
    int forced = tok.encode(Prompts.VERDICT_SEPARATOR + Prompts.DECISION).length;
    for (int i = 0; i < solutions.size(); i++) {
      int prompt = tok.encodeWithBos(format.verifyCot(question, solutions.get(i))).length;
      int start = positions.rationaleStart(tok, format, question, prompt);
      DecisionLabels labels = DecisionLabels.resolve(tok, format.afterRationale(question, solutions.get(i), ""));
      int after = forced + Math.max(labels.yes().length, labels.no().length);
      ContextLengthException.require(i, Math.max(prompt, start + after), limit, "its verification prompt of "
          + prompt + " tokens (rationale from position " + start + ", "
          + (params.maxTokens() == SamplingParams.UNTIL_CONTEXT ? "as long as fits" : "up to " + params.maxTokens()
          + " tokens, shortened to fit") + ") plus the " + after + "-token decision question and label");
    }
  }

  /** A question and one candidate solution to verify. */
  public record Candidate(String question, String solution) {}

  /**
   * One sampled rationale and what p(Yes) is read after: the tokens and their rotary positions (the rationale's
   * restart where the solution's did under {@link RationalePositions#SOLUTION}).
   */
  public record Vote(String rationale, int[] decisionContext, int[] decisionPositions, double pYes, double pNo) {}

  /** The K votes of each candidate; {@code offset} keeps each candidate's random streams fixed across batching. */
  public List<List<Vote>> votes(List<Candidate> items, int offset) {
    Generator gen = new Generator(model, tok);
    List<int[]> prefixes = new ArrayList<>();
    long[] startAt = new long[items.size()]; // each rationale's first position
    for (int c = 0; c < items.size(); c++) {
      prefixes.add(gen.promptIds(format.verifyCot(items.get(c).question(), items.get(c).solution())));
      startAt[c] = positions.rationaleStart(tok, format, items.get(c).question(), prefixes.get(c).length);
    }
    DecisionLabels labels = DecisionLabels.resolve(tok,
        format.afterRationale(items.get(0).question(), items.get(0).solution(), ""));
    int[] forced = tok.encode(Prompts.VERDICT_SEPARATOR + Prompts.DECISION);
    SampleRequest req = SampleRequest.of(prefixes, votes, params.withSeed(params.seed() + offset))
        .withMaxTokens(rationaleBudgets(startAt, forced.length + Math.max(labels.yes().length, labels.no().length)))
        .withRestart(positions == RationalePositions.SEQUENTIAL ? null : SampleRequest.Restart.at(startAt))
        .keepingCache();
    if (positions.textDependent()) {
      req = req.withPositionRule((c, sampled) -> {
        int[] p = positions.positions(tok, prefixes.get(c).length, (int) startAt[c],
            Tokenizer.concat(prefixes.get(c), sampled));
        return p[p.length - 1];
      });
    }
    if (restatement.isForced()) {
      req = req.withForcing((c, text) -> restatement.next(tok, items.get(c).solution(), text));
    }
    try (Samples sampled = gen.sample(req); NDManager mgr = model.manager().newSubManager()) {
      List<List<Generation>> gens = sampled.generations(); // [candidate][vote]
      int[][] pending = new int[items.size() * votes][]; // row c * votes + k
      List<int[]> contexts = new ArrayList<>();
      for (int r = 0; r < pending.length; r++) {
        Generation g = gens.get(r / votes).get(r % votes);
        boolean reachedDecision = Prompts.DECISION.equals(g.stopMatched());
        // The unfed sampled token, then the decision question when the rationale did not reach it.
        pending[r] = reachedDecision ? unfed(g) : Tokenizer.concat(unfed(g), forced);
        int[] sampledIds = Tokenizer.concat(prefixes.get(r / votes), g.tokens());
        contexts.add(reachedDecision ? sampledIds : Tokenizer.concat(sampledIds, forced));
      }
      double[][] lp = Scoring.labelLogProbs(model, Math.max(0, tok.padId()), sampled.cache(), pending,
          List.of(labels.yes(), labels.no()), mgr);
      return collectVotes(gens, prefixes, startAt, contexts, lp);
    }
  }

  /** Row {@code r = c * votes + k}'s rationale, decision context and positions, and p(Yes), p(No) from {@code lp}. */
  private List<List<Vote>> collectVotes(List<List<Generation>> gens, List<int[]> prefixes, long[] startAt,
      List<int[]> contexts, double[][] lp) {
    List<List<Vote>> out = new ArrayList<>();
    for (int c = 0; c < gens.size(); c++) {
      List<Vote> vs = new ArrayList<>();
      for (int k = 0; k < votes; k++) {
        int r = c * votes + k;
        int[] ctxIds = contexts.get(r);
        int[] pos = positions.positions(tok, prefixes.get(c).length, (int) startAt[c], ctxIds);
        vs.add(new Vote(gens.get(c).get(k).text(), ctxIds, pos, Math.exp(lp[r][0]), Math.exp(lp[r][1])));
      }
      out.add(vs);
    }
    return out;
  }

  /**
   * Each candidate's rationale gets the room its prompt leaves in the context before the forced decision question
   * and the longer label ({@code after} tokens): a long candidate gets a shorter rationale, the others the full
   * budget.
   */
  private int[] rationaleBudgets(long[] startAt, int after) {
    int ctx = model.config().maxPositionEmbeddings();
    int[] budget = new int[startAt.length];
    for (int c = 0; c < startAt.length; c++) {
      budget[c] = Math.min(params.maxTokens(), ctx - (int) startAt[c] - after);
      if (budget[c] < 0) { // requireFits found it first unless votes() was called directly
        throw new IllegalArgumentException("a candidate's verification prompt does not fit in the model's "
            + ctx + "-token context: it needs " + (startAt[c] + after) + " positions");
      }
    }
    return budget;
  }

  /** Tokens sampled but not yet in the cache: the last one, unless it was EOS (which is dropped). */
  private static int[] unfed(Generation g) {
    boolean endedByEos = "stop".equals(g.finishReason()) && g.stopMatched() == null;
    return endedByEos || g.tokens().length == 0 ? new int[0] : new int[] {g.tokens()[g.tokens().length - 1]};
  }

  private List<VerifierScore> scoreBatch(List<Candidate> items, int offset) {
    List<List<Vote>> all = votes(items, offset);
    List<VerifierScore> out = new ArrayList<>();
    for (int c = 0; c < items.size(); c++) {
      List<Vote> vs = all.get(c);
      double[] v = new double[vs.size()];
      String[] rationales = new String[vs.size()];
      double sumYes = 0;
      double sumNo = 0;
      long tokens = 0;
      for (int k = 0; k < vs.size(); k++) {
        v[k] = GenRmDirect.renormalised(vs.get(k).pYes(), vs.get(k).pNo());
        rationales[k] = vs.get(k).rationale();
        sumYes += vs.get(k).pYes();
        sumNo += vs.get(k).pNo();
        tokens += vs.get(k).decisionContext().length;
      }
      double mean = Arrays.stream(v).average().orElseThrow();
      out.add(new VerifierScore(mean, sumYes / v.length, sumNo / v.length, v, rationales, tokens));
    }
    return out;
  }
}
