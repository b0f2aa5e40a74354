package io.genrm4j.eval;

import io.genrm4j.util.UserException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sizes of one experiment run (see {@link Experiment}). Named profiles: {@code mini} (seconds, for tests),
 * {@code quick} (~30 min for last-letter on 2 CPU cores, two workers), {@code full} (hours; best results).
 *
 * @param name profile name
 * @param preset model preset of the generator (every verifier is fine-tuned from the generator checkpoint)
 * @param trainProblems training problems (generator SFT data and verifier data)
 * @param testProblems problems per test split (test-id and test-ood each)
 * @param samplesPerTrainProblem candidates sampled per training problem to build verifier data
 * @param maxPerClass at most this many correct and this many incorrect candidates per training problem (balanced)
 * @param n candidates per test problem; Best-of-N is reported for powers of two up to n
 * @param votes GenRM-CoT / judge rationales per candidate; the votes curve covers powers of two up to this
 * @param genSteps generator SFT steps (at most, with a target)
 * @param genTarget the generator trains until its samples of held-out out-of-distribution-length problems are at
 *     least this often correct, checked every 10 steps from step 250 (0 = exactly genSteps steps)
 * @param genBatch generator batch size
 * @param genLr generator peak learning rate
 * @param verSteps verifier fine-tuning steps (each verifier)
 * @param verBatch verifier batch size
 * @param verLr verifier peak learning rate
 * @param lambda weight of solution SFT in unified GenRM training (lambda = 0 is plain GenRM)
 * @param cotReplay weight of the generator's own solution SFT data mixed into GenRM-CoT training (0 = none): the
 *     generator learned every length, the CoT data has only in-distribution lengths, and the rationales re-solve
 *     the problem in the generator's own format (quick last-letter GenRM-CoT
 *     OOD AUROC 0.589 with 1.0, 0.426 with 0, 0.556 with 2.0)
 * @param cotPositions where GenRM-CoT's rationale sits in rotary-position space, {@code sequential} or
 *     {@code solution} ({@link io.genrm4j.verify.RationalePositions})
 * @param dpoBeta DPO beta
 * @param temperature candidate sampling temperature
 * @param cotTemperature rationale sampling temperature of GenRM-CoT and the judge
 * @param tokenCap at most this many generated tokens per solution or rationale (0 = as long as the task needs)
 */
public record ExperimentProfile(String name, String preset, int trainProblems, int testProblems,
    int samplesPerTrainProblem, int maxPerClass, int n, int votes, int genSteps, double genTarget, int genBatch,
    double genLr,
    int verSteps, int verBatch, double verLr, double lambda, double cotReplay, String cotPositions, double dpoBeta,
    double temperature, double cotTemperature, int tokenCap) {

  public ExperimentProfile {
    if (n < 1 || votes < 1 || trainProblems < 1 || testProblems < 1 || samplesPerTrainProblem < 1) {
      throw new IllegalArgumentException("profile sizes must be positive");
    }
  }

  private static final Map<String, ExperimentProfile> NAMED = new LinkedHashMap<>();

  static {
    // mini: a few seconds per stage; checks plumbing only (the models learn nearly nothing).
    NAMED.put("mini", new ExperimentProfile("mini", "test", 6, 3, 4, 2, 4, 2, 3, 0, 4, 3e-3,
        2, 4, 1e-3, 1.0, 1.0, "solution", 0.1, 1.0, 0.7, 12));
    // quick: ~30 min for last-letter on 2 cores, two workers of one PyTorch thread each. The generator trains until
    // its samples of held-out 6-name problems are 30% correct (a fixed step count landed anywhere from 0% to 84%:
    // the tiny model learns the task in a sudden jump whose step moves with float rounding). 1,000 problems give
    // ~3,000-4,000 verifier examples; with 200 (432 examples) the direct verifiers memorised them. Verifiers get
    // 1,500 steps at 2e-3: a tiny direct GenRM fine-tuned from the generator sat at chance loss for ~300-600 steps
    // on held-out perturbed last-letter candidates before it started to separate them.
    NAMED.put("quick", new ExperimentProfile("quick", "tiny", 1000, 20, 8, 4, 32, 8, 2000, 0.3, 16, 3e-3,
        1500, 16, 2e-3, 1.0, 1.0, "solution", 0.1, 1.0, 0.7, 0));
    // full: quick with twice the verifier data and steps, 50 test problems per split (quick's 20 make every figure
    // move by 5 points per problem) and K = 16 rationales; the tiny preset (small learned slower per second in every
    // verifier measurement). Measured on last-letter: 9,488 s of stage time, 83.5 min with two workers.
    NAMED.put("full", new ExperimentProfile("full", "tiny", 2000, 50, 8, 4, 32, 16, 2000, 0.3, 16, 3e-3,
        3000, 16, 2e-3, 1.0, 1.0, "solution", 0.1, 1.0, 0.7, 0));
  }

  /**
   * Generator step limits that differ by task, as "profile/task" -> steps. Word sorting's generator learns more
   * slowly: the quick run reached the 30% dev target at step 2,270 (last-letter: 670-800).
   */
  private static final Map<String, Integer> TASK_GEN_STEPS = Map.of("quick/word-sorting", 3000,
      "full/word-sorting", 3000);

  /** This profile as run on {@code task}: the same, except where {@link #TASK_GEN_STEPS} says otherwise. */
  public ExperimentProfile forTask(String task) {
    Integer steps = TASK_GEN_STEPS.get(name + "/" + task);
    if (steps == null || steps == genSteps) {
      return this;
    }
    return new ExperimentProfile(name, preset, trainProblems, testProblems, samplesPerTrainProblem, maxPerClass, n,
        votes, steps, genTarget, genBatch, genLr, verSteps, verBatch, verLr, lambda, cotReplay, cotPositions, dpoBeta, temperature,
        cotTemperature, tokenCap);
  }

  /** The named profile; a {@link UserException} listing the names when unknown. */
  public static ExperimentProfile named(String name) {
    ExperimentProfile p = NAMED.get(name);
    if (p == null) {
      throw new UserException("unknown profile '" + name + "' (known: " + String.join(", ", NAMED.keySet()) + ")");
    }
    return p;
  }

  public static Map<String, ExperimentProfile> all() {
    return java.util.Collections.unmodifiableMap(NAMED);
  }

  /** 1, 2, 4, ... up to and including {@code max} (and {@code max} itself if not a power of two). */
  public static int[] powersOfTwo(int max) {
    java.util.List<Integer> out = new java.util.ArrayList<>();
    for (int v = 1; v <= max; v *= 2) {
      out.add(v);
    }
    if (out.get(out.size() - 1) != max) {
      out.add(max);
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** {@code needed} limited by {@link #tokenCap}. */
  public int capTokens(int needed) {
    return tokenCap > 0 ? Math.min(tokenCap, needed) : needed;
  }

  public int[] ns() {
    return powersOfTwo(n);
  }

  public int[] ks() {
    return powersOfTwo(votes);
  }
}
