package io.genrm4j.testing;

import ai.djl.ndarray.NDManager;
import io.genrm4j.eval.Experiment;
import io.genrm4j.infer.Generator;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Tasks;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.verify.GenRmDirect;
import io.genrm4j.verify.VerifierData;
import io.genrm4j.verify.VerifierTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The tiny models of the integration modules' tests and benches (core's test-jar, so each module uses this one), built
 * as core's tests build theirs (preset {@code test}, the experiment's last-letter tokenizer): a GenRM direct verifier
 * trained here in seconds on a rule a random generator's text can meet (a solution is correct iff it ends in a
 * vowel), and a random-init generator for the chat-model wrappers.
 */
public final class TinyModels implements AutoCloseable {
  public static final CharTokenizer TOK = Experiment.tokenizer(Tasks.LAST_LETTER);
  public static final Prompts.Format F = Prompts.Format.COMPACT;
  public static final String QUESTION = "Which word ends in a vowel?";

  private static TinyModels shared;

  public final NDManager root = NDManager.newBaseManager();
  public final LlamaModel verifierModel;
  public final LlamaModel generatorModel;

  public TinyModels() {
    verifierModel = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 1, root);
    // 200 steps: 93% held-out accuracy on balanced words in ~7 s on one thread (120 steps: near the base rate)
    List<VerifierData.Labeled> data = new ArrayList<>();
    Random rng = new Random(2);
    for (int i = 0; i < 64; i++) {
      String word = word(rng, i % 2 == 0);
      data.add(new VerifierData.Labeled(QUESTION, word, i % 2 == 0, null));
    }
    VerifierTrainer.sft(verifierModel, TOK, VerifierData.direct(TOK, F, data),
        TrainConfig.defaults(200, 16, 1e-2, 1).withWarmupSteps(10).withWeightDecay(0), null);
    generatorModel = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 3, root);
  }

  /**
   * One instance per test JVM, trained on first use: the test classes share it rather than train twice in one fork.
   * It is never closed; its native memory goes with the JVM.
   */
  public static synchronized TinyModels shared() {
    if (shared == null) {
      shared = new TinyModels();
    }
    return shared;
  }

  /** A lowercase word of 3 to 8 letters, ending in a vowel or not. */
  public static String word(Random rng, boolean vowelEnd) {
    StringBuilder s = new StringBuilder();
    for (int i = 2 + rng.nextInt(6); i > 0; i--) {
      s.append((char) ('a' + rng.nextInt(26)));
    }
    String ends = vowelEnd ? "aeiou" : "bcdfghjklmnpqrstvwxyz";
    return s.append(ends.charAt(rng.nextInt(ends.length()))).toString();
  }

  public static boolean endsInVowel(String text) {
    return !text.isEmpty() && "aeiou".indexOf(text.charAt(text.length() - 1)) >= 0;
  }

  public GenRmDirect verifier() {
    return new GenRmDirect(verifierModel, TOK, F);
  }

  public Generator generator() {
    return new Generator(generatorModel, TOK);
  }

  @Override
  public void close() {
    verifierModel.close();
    generatorModel.close();
    root.close();
  }
}
