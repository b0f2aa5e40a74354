package io.genrm4j.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.TestTokenizers;
import io.genrm4j.task.Prompts;
import io.genrm4j.train.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every verifier checks that a candidate fits the model's context before it builds a tensor (issue #22, finding 1):
 * the longest solution that fits is scored, one character more is a {@link ContextLengthException} naming the
 * candidate, the length and the limit (before the check: libtorch's "index out of range in self"). Training drops
 * ORM and DPO examples that do not fit with a warning, as it already did for SFT.
 */
class ContextLengthTest {
  static NDManager root;
  static CharTokenizer tok;
  static LlamaModel model;
  static LlamaModel orm;

  @BeforeAll
  static void init() {
    tok = TestTokenizers.printableAscii();
    root = NDManager.newBaseManager();
    model = LlamaModel.init(Presets.get("test", tok.vocabSize()), 3, root);
    orm = model.withScoreHead(1);
  }

  @AfterAll
  static void close() {
    orm.close();
    model.close();
    root.close();
  }

  static Map<String, Verifier> verifiers() {
    SamplingParams p = new SamplingParams(4, 0.7, 1.0, 0, List.of(), 0, true, 0);
    Prompts.Format f = Prompts.Format.COMPACT;
    return Map.of("genrm", new GenRmDirect(model, tok, f), "orm", new OrmVerifier(orm, tok, f),
        "dpo", new DpoVerifier(model, model, tok, f, 0.1), "genrm-cot", new GenRmCot(model, tok, f, 2, p),
        "genrm-cot solution positions", new GenRmCot(model, tok, f, 2, p, RationalePositions.SOLUTION, Restatement.SAMPLED),
        "llm-judge", GenRmCot.judge(model, tok, f, 2, p));
  }

  /** The longest solution of 'a's that {@link Verifier#requireFits} accepts after the question "q". */
  static int longestFitting(Verifier v) {
    int lo = 0;
    int hi = 2048; // lo fits, hi does not
    while (hi - lo > 1) {
      int mid = (lo + hi) / 2;
      try {
        v.requireFits("q", List.of("a".repeat(mid)));
        lo = mid;
      } catch (ContextLengthException e) {
        hi = mid;
      }
    }
    return lo;
  }

  @Test
  void theLongestSolutionThatFitsIsScoredAndOneMoreIsRefusedNamingIt() {
    int limit = model.config().maxPositionEmbeddings();
    verifiers().forEach((name, v) -> {
      int fits = longestFitting(v);
      assertTrue(fits > limit - 200 && fits < limit, name + ": " + fits);
      List<VerifierScore> s = v.score("q", List.of("b", "a".repeat(fits)));
      assertEquals(2, s.size(), name);
      ContextLengthException e = assertThrows(ContextLengthException.class,
          () -> v.score("q", List.of("b", "a".repeat(fits + 1))), name);
      System.out.println("probe | " + name + ", solution of " + (fits + 1) + " characters | " + e.getMessage());
      assertEquals(1, e.index(), name);
      assertEquals(limit, e.limit(), name);
      assertEquals(limit + 1, e.needed(), name);
      assertTrue(e.getMessage().startsWith("solution 1 does not fit") && e.getMessage().contains(" " + limit + " ")
          && e.getMessage().contains(" " + (limit + 1) + " positions"), e.getMessage());
      // many questions at once: refused before any of them is scored
      assertThrows(ContextLengthException.class, () -> v.scoreAll(List.of("q", "q"),
          List.of(List.of("b"), List.of("a".repeat(fits + 1)))), name);
    });
  }

  @Test
  void trainingDropsExamplesThatDoNotFitWithAWarning() {
    List<VerifierData.Labeled> data = new ArrayList<>();
    for (String s : List.of("a", "b", "c", "d")) {
      data.add(new VerifierData.Labeled("q", s, s.equals("a") || s.equals("c"), null));
    }
    data.add(new VerifierData.Labeled("q", "a".repeat(1100), true, null));
    data.add(new VerifierData.Labeled("q", "b".repeat(1100), false, null));
    VerifierRecipe.TrainOptions o = new VerifierRecipe.TrainOptions(0.5, 0.1, RationalePositions.SEQUENTIAL,
        List.of(), 0);
    // genrm-unified's solution SFT on the correct candidates: the long correct one is dropped there too
    for (VerifierKind kind : List.of(VerifierKind.ORM, VerifierKind.DPO, VerifierKind.GENRM_UNIFIED)) {
      ByteArrayOutputStream warned = new ByteArrayOutputStream();
      try (LlamaModel m = kind.hasScoreHead() ? model.withScoreHead(1) : model.copy()) {
        VerifierRecipe.Trained t = VerifierRecipe.train(kind, m, tok, Prompts.Format.COMPACT, data, o,
            TrainConfig.defaults(1, 8, 1e-3, 0), s -> {}, new PrintStream(warned, true, StandardCharsets.UTF_8));
        String w = warned.toString(StandardCharsets.UTF_8);
        System.out.println("probe | train " + kind.id() + " with 2 of 6 candidates over the context | " + w.strip());
        if (kind == VerifierKind.GENRM_UNIFIED) { // 4 of 6 direct examples + 2 of 3 correct solutions
          assertEquals(6, t.examples());
          assertTrue(w.contains(kind.id() + ": dropped 1 of 3 training examples longer than the model's"), w);
        } else {
          assertEquals(4, t.examples(), kind.id());
        }
        assertTrue(w.contains(kind.id() + ": dropped 2 of 6 training examples longer than the model's 1024-token"),
            w);
      }
    }
  }
}
