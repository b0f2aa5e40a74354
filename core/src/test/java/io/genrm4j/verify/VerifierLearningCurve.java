package io.genrm4j.verify;

import ai.djl.ndarray.NDManager;
import io.genrm4j.eval.VerifierMetrics;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.task.Prompts;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import java.util.List;
import java.util.function.Consumer;

/**
 * Not a test: the diagnostic behind the 2026-12-02 verifier-quality figures (docs/experiment-log.md). Trains one tiny
 * verifier from scratch on the data the suite's quality test used then (each of 8,000 training problems' correct
 * solution and one {@link io.genrm4j.task.Task#perturb} perturbation; 200 test-id problems held out; perturbed letters
 * uniform, see {@link #letterPriorAuroc}) and prints held-out AUROC every {@code every} steps, split by perturbation (a wrong
 * final answer only, or a wrong pick carried through), and on 400 training examples (over-fitting shows as a gap).
 *
 * <pre>
 * ./mvnw -q -o -pl core -am test-compile
 * java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
 *   -cp "core/target/classes:core/target/test-classes:core/target/lib/*" io.genrm4j.verify.VerifierLearningCurve \
 *   KIND LR STEPS BATCH EVERY [PRESET[-untied] [SEED [chars|phrases]]]
 * </pre>
 *
 * KIND: {@code orm} (score head at the end of the solution, as the suite's test), {@code orm-decision-line} (the
 * same head read after the direct prompt's decision line, where GenRM reads p(Yes)), {@code genrm} (GenRM direct),
 * {@code genrm-unified} (GenRM direct mixed with solution SFT on the correct solutions, lambda = 1),
 * {@code genrm-after-gen:G} (GenRM direct fine-tuned from G steps of solution SFT). {@code -untied} gives the
 * preset an output head of its own; {@code phrases} makes the decision line one token.
 */
public final class VerifierLearningCurve {
  private VerifierLearningCurve() {}

  public static void main(String[] args) {
    if (args.length < 5) {
      System.err.println("usage: KIND(orm|orm-decision-line|genrm|genrm-unified|genrm-after-gen:G) LR STEPS BATCH"
          + " EVERY [PRESET[-untied] [SEED [chars|phrases]]]");
      System.exit(2);
    }
    String kind = args[0];
    double lr = Double.parseDouble(args[1]);
    int steps = Integer.parseInt(args[2]);
    int batch = Integer.parseInt(args[3]);
    int every = Integer.parseInt(args[4]);
    String preset = args.length > 5 ? args[5] : "tiny";
    long seed = args.length > 6 ? Long.parseLong(args[6]) : 1; // initialisation; the data order stays seed 5
    // chars: one token per character (VerifiersTest's); phrases: the decision line one token
    io.genrm4j.model.tokenizer.CharTokenizer tok = args.length > 7 && args[7].equals("phrases")
        ? io.genrm4j.model.tokenizer.CharTokenizer.of(VerifiersTest.TASK.alphabet(), Prompts.PHRASE_TOKENS)
        : VerifiersTest.TOK;
    List<VerifierData.Labeled> train = VerifiersTest.labeled(
        VerifiersTest.TASK.problems(io.genrm4j.task.Split.TRAIN, 8000, 1), 2);
    List<VerifierData.Labeled> heldOut = VerifiersTest.labeled(
        VerifiersTest.TASK.problems(io.genrm4j.task.Split.TEST_ID, 200, 3), 4);
    System.out.printf("letter prior alone (the rarest answer letter's training frequency): held-out AUROC %.3f%n",
        letterPriorAuroc(train, heldOut));
    if (kind.equals("orm-decision-line")) {
      train = withDecisionLine(train);
      heldOut = withDecisionLine(heldOut);
    }
    List<VerifierData.Labeled> trainSample = train.subList(0, 400);
    List<VerifierData.Labeled> held = heldOut;
    long t0 = System.nanoTime();
    try (NDManager root = NDManager.newBaseManager()) {
      LlamaModel base = LlamaModel.init(Presets.get(preset.replace("-untied", ""), tok.vocabSize())
          .withTiedEmbeddings(!preset.endsWith("-untied")), seed, root);
      boolean orm = kind.startsWith("orm");
      LlamaModel m = orm ? base.withScoreHead(7) : base;
      Verifier v = orm ? new OrmVerifier(m, tok, VerifiersTest.F)
          : new GenRmDirect(m, tok, VerifiersTest.F);
      TrainConfig cfg = TrainConfig.defaults(steps, batch, lr, 5).withWarmupSteps(20);
      Consumer<Trainer.StepLog> log = s -> {
        if (s.step() % every == 0 || s.step() == steps) {
          double[] h = auroc(v, held);
          System.out.printf("%s step %d loss %.4f held-out AUROC %.3f (wrong answer %.3f, wrong pick %.3f)"
              + " train AUROC %.3f  %.0f s%n", kind, s.step(), s.loss(), h[0], h[1], h[2], auroc(v, trainSample)[0],
              (System.nanoTime() - t0) / 1e9);
        }
      };
      if (orm) {
        VerifierTrainer.orm(m, tok, VerifiersTest.F, train, cfg, log);
      } else if (kind.equals("genrm")) {
        VerifierTrainer.sft(m, tok, VerifierData.direct(tok, VerifiersTest.F, train), cfg, log);
      } else if (kind.equals("genrm-unified")) {
        List<io.genrm4j.train.TokenExample> ex = new java.util.ArrayList<>(
            VerifierData.direct(tok, VerifiersTest.F, train));
        ex.addAll(VerifierData.solutionSft(tok, VerifiersTest.F, correctOnes(train), 1f));
        VerifierTrainer.sft(m, tok, ex, cfg, log);
      } else if (kind.startsWith("genrm-after-gen")) {
        int genSteps = Integer.parseInt(kind.substring(kind.indexOf(':') + 1));
        VerifierTrainer.sft(m, tok, VerifierData.solutionSft(tok, VerifiersTest.F, correctOnes(train), 1f),
            TrainConfig.defaults(genSteps, 16, 3e-3, 5).withWarmupSteps(20), null);
        System.out.printf("generator %d steps %.0f s%n", genSteps, (System.nanoTime() - t0) / 1e9);
        VerifierTrainer.sft(m, tok, VerifierData.direct(tok, VerifiersTest.F, train), cfg, log);
      } else {
        throw new IllegalArgumentException("unknown kind " + kind);
      }
      if (m != base) {
        base.close();
      }
      m.close();
    }
  }

  /**
   * The baseline any verifier passes before it checks a step: a perturbed pick is a uniform random letter, real last
   * letters are not, so scoring an answer by the training frequency of its rarest letter already separates some.
   */
  static double letterPriorAuroc(List<VerifierData.Labeled> train, List<VerifierData.Labeled> heldOut) {
    java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
    for (VerifierData.Labeled l : train) {
      if (l.correct()) {
        VerifiersTest.TASK.extractAnswer(l.solution()).chars().forEach(c -> counts.merge(c, 1, Integer::sum));
      }
    }
    double[] scores = new double[heldOut.size()];
    boolean[] labels = new boolean[heldOut.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = VerifiersTest.TASK.extractAnswer(heldOut.get(i).solution()).chars()
          .map(c -> counts.getOrDefault(c, 0)).min().orElse(0);
      labels[i] = heldOut.get(i).correct();
    }
    return VerifierMetrics.auroc(scores, labels);
  }

  static List<VerifierData.Labeled> correctOnes(List<VerifierData.Labeled> data) {
    return data.stream().filter(VerifierData.Labeled::correct).toList();
  }

  /** The solution followed by GenRM's decision line, so an ORM reads its score where GenRM reads p(Yes). */
  static List<VerifierData.Labeled> withDecisionLine(List<VerifierData.Labeled> data) {
    return data.stream().map(l -> new VerifierData.Labeled(l.question(), l.solution() + Prompts.DIRECT_SUFFIX,
        l.correct(), l.rationale())).toList();
  }

  /** AUROC over the (correct, perturbed) pairs: all, wrong-answer-only pairs, wrong-pick pairs. */
  static double[] auroc(Verifier v, List<VerifierData.Labeled> pairs) {
    double[] scores = VerifierQualityTest.pairScores(v, pairs);
    List<double[]> byKind = List.of(new double[pairs.size()], new double[pairs.size()], new double[pairs.size()]);
    List<boolean[]> labels = List.of(new boolean[pairs.size()], new boolean[pairs.size()], new boolean[pairs.size()]);
    int[] n = new int[3];
    for (int i = 0; i < pairs.size(); i += 2) {
      int k = onlyTheAnswerDiffers(pairs.get(i).solution(), pairs.get(i + 1).solution()) ? 1 : 2;
      for (int j = 0; j < 2; j++) {
        double s = scores[i + j];
        boolean y = pairs.get(i + j).correct();
        for (int g : new int[] {0, k}) {
          byKind.get(g)[n[g]] = s;
          labels.get(g)[n[g]++] = y;
        }
      }
    }
    double[] out = new double[3];
    for (int g = 0; g < 3; g++) {
      out[g] = VerifierMetrics.auroc(java.util.Arrays.copyOf(byKind.get(g), n[g]),
          java.util.Arrays.copyOf(labels.get(g), n[g]));
    }
    return out;
  }

  static boolean onlyTheAnswerDiffers(String a, String b) {
    String[] x = a.split("\n");
    String[] y = b.split("\n");
    if (x.length != y.length) {
      return false;
    }
    for (int i = 0; i < x.length; i++) {
      if (!x[i].equals(y[i]) && !x[i].startsWith(Prompts.ANSWER_PREFIX.strip())) {
        return false;
      }
    }
    return true;
  }
}
