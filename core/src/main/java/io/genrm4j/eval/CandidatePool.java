package io.genrm4j.eval;

import ai.djl.ndarray.NDManager;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Split;
import io.genrm4j.util.Jsonl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;

/**
 * Stage {@code candidates}: the generator's sampled, graded candidates, {@code samplesPerTrainProblem} per train
 * problem (the verifiers' training data) and N per test problem (the pool every verifier reranks).
 */
final class CandidatePool {
  private final StageContext ctx;

  CandidatePool(StageContext ctx) {
    this.ctx = ctx;
  }

  void sample(Stages.Progress progress) {
    var prof = ctx.prof();
    Map<Split, Integer> per = new LinkedHashMap<>();
    per.put(Split.TRAIN, prof.samplesPerTrainProblem());
    for (Split s : Experiment.TEST_SPLITS) {
      per.put(s, prof.n());
    }
    long total = 0;
    for (Map.Entry<Split, Integer> e : per.entrySet()) {
      total += (long) ctx.problems(e.getKey()).size() * e.getValue();
    }
    try (NDManager root = NDManager.newBaseManager();
        Checkpoint.Loaded gen = Checkpoint.load(ctx.dir().checkpoint("generator"), root);
        ProgressBar bar = progress.bar(total)) {
      Generator g = new Generator(gen.model(), gen.tokenizer());
      for (Map.Entry<Split, Integer> e : per.entrySet()) {
        Split split = e.getKey();
        int k = e.getValue();
        List<Problem> ps = ctx.problems(split);
        SamplingParams sp = SamplingParams.sample(ctx.solutionTokens(ps), prof.temperature(),
            ctx.seedOf("sample-" + split.id()));
        int chunk = Math.max(1, 128 / k);
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < ps.size(); i += chunk) {
          List<Problem> part = ps.subList(i, Math.min(ps.size(), i + chunk));
          List<int[]> prefixes = new ArrayList<>();
          part.forEach(p -> prefixes.add(g.promptIds(Experiment.FORMAT.solve(p.question()))));
          List<List<Generation>> gens = g.sampleShared(prefixes, k, sp.withSeed(sp.seed() + i));
          for (int c = 0; c < part.size(); c++) {
            Problem p = part.get(c);
            for (int j = 0; j < k; j++) {
              String text = gens.get(c).get(j).text();
              out.add(new Candidate(p.id(), p.id() + "-c" + j, p.question(), text, p.answer(), null, null)
                  .withGrade(ctx.task().grade(p, text)));
            }
            bar.stepBy(k);
          }
        }
        Jsonl.write(ctx.dir().candidates(split), out);
      }
    }
  }

  /**
   * Best-of-N can only pick a correct candidate that is there: say so before the verifiers train for hours, not
   * after (word-sorting's generator after quick's 750 steps sampled 0 correct of 640 per test split).
   */
  void warnIfNothingToRerank() {
    var prof = ctx.prof();
    for (Split s : Experiment.TEST_SPLITS) {
      List<Candidate> cs = read(ctx.dir(), s);
      if (cs.stream().noneMatch(c -> Boolean.TRUE.equals(c.correct()))) {
        ctx.err().printf("warning: none of the %d %s candidates is correct, so every Best-of-N figure there will be"
            + " 0; the generator needs more than profile %s's %d training steps for %s%n", cs.size(), s.id(),
            prof.name(), prof.genSteps(), ctx.task().name());
      }
    }
  }

  static List<Candidate> read(RunDir dir, Split s) {
    return Candidate.read(dir.candidates(s));
  }

  /** Candidates grouped by problem, in problem order. */
  static Map<String, List<Candidate>> byProblem(List<Candidate> cs) {
    Map<String, List<Candidate>> out = new LinkedHashMap<>();
    for (Candidate c : cs) {
      out.computeIfAbsent(c.problemId(), k -> new ArrayList<>()).add(c);
    }
    return out;
  }
}
