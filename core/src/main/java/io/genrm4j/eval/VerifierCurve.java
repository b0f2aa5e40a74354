package io.genrm4j.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Split;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.RationalePositions;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierRecipe;
import io.genrm4j.verify.VerifierScore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * A verifier's AUROC on fixed candidate pools of the test splits while it trains, before the first step and every
 * {@link #EVERY} steps (issue #21 step 3: forgetting shows as an out-of-distribution curve that rises, then decays).
 * Only kinds scored in one forward pass per candidate (ORM, GenRM direct, unified); GenRM-CoT would sample
 * rationales at every point. The pools are read, never trained on, and measuring changes no training step.
 */
final class VerifierCurve {
  static final int EVERY = 250;
  /** Candidates per split, drawn once with the run's seed. */
  static final int POOL = 192;

  private final Map<Split, List<Candidate>> pools = new EnumMap<>(Split.class);
  private final ArrayNode points = Jsonl.MAPPER.createArrayNode();

  static boolean applies(VerifierKind k) {
    return k == VerifierKind.ORM || k == VerifierKind.GENRM || k == VerifierKind.GENRM_UNIFIED;
  }

  /** {@code candidates} by split; each pool keeps {@link #POOL} of them, or none when it lacks one label. */
  VerifierCurve(Map<Split, List<Candidate>> candidates, long seed) {
    candidates.forEach((split, all) -> {
      List<Candidate> c = new ArrayList<>(all);
      Collections.shuffle(c, new Random(seed));
      List<Candidate> pool = c.subList(0, Math.min(POOL, c.size()));
      if (pool.stream().anyMatch(Candidate::correct) && pool.stream().anyMatch(x -> !x.correct())) {
        pools.put(split, List.copyOf(pool));
      }
    });
  }

  /** Measures {@code m} now as step {@code step} and adds the point. */
  void measure(long step, VerifierKind kind, LlamaModel m, Tokenizer tok, Prompts.Format f) {
    ObjectNode p = points.addObject().put("step", step);
    VerifierRecipe.ScoreOptions o = new VerifierRecipe.ScoreOptions(1, SamplingParams.greedy(1),
        RationalePositions.SEQUENTIAL, 0);
    try (Verifier v = VerifierRecipe.open(kind, m, null, tok, f, o)) {
      pools.forEach((split, pool) -> p.put("auroc_" + split.id().replace('-', '_'), auroc(v, pool)));
    }
  }

  /** A training hook: measures after every {@link #EVERY}-th step and after the last; never stops training. */
  Predicate<Trainer.StepLog> every(VerifierKind kind, LlamaModel m, Tokenizer tok, Prompts.Format f) {
    return l -> {
      if (l.step() % EVERY == 0 || l.step() == l.totalSteps()) {
        measure(l.step(), kind, m, tok, f);
      }
      return false;
    };
  }

  ArrayNode points() {
    return points;
  }

  private static double auroc(Verifier v, List<Candidate> pool) {
    Map<String, List<Candidate>> byProblem = CandidatePool.byProblem(pool);
    List<String> qs = new ArrayList<>();
    List<List<String>> sols = new ArrayList<>();
    byProblem.values().forEach(cs -> {
      qs.add(cs.get(0).question());
      sols.add(cs.stream().map(Candidate::text).toList());
    });
    List<List<VerifierScore>> s = v.scoreAll(qs, sols);
    double[] scores = new double[pool.size()];
    boolean[] labels = new boolean[pool.size()];
    int i = 0;
    int g = 0;
    for (List<Candidate> cs : byProblem.values()) {
      for (int j = 0; j < cs.size(); j++, i++) {
        scores[i] = s.get(g).get(j).score();
        labels[i] = cs.get(j).correct();
      }
      g++;
    }
    return VerifierMetrics.auroc(scores, labels);
  }
}
