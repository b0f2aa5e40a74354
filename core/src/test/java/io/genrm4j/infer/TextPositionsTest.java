package io.genrm4j.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class TextPositionsTest {
  static final CharTokenizer TOK = CharTokenizer.of("abcdefghijklmnopqrstuvwxyz ?.\n", List.of("ab"));

  @Test
  void tokensTakeTheirFirstCharactersPosition() {
    int[] ids = TOK.encodeWithEos("abc");
    int[] withBos = new int[ids.length + 1];
    withBos[0] = TOK.bosId().getAsInt();
    System.arraycopy(ids, 0, withBos, 1, ids.length);
    assertEquals(4, withBos.length, "BOS, the phrase 'ab', 'c', EOS");
    assertArrayEquals(new int[] {0, 10, 30, 31}, TextPositions.ofTokens(TOK, withBos, new int[] {10, 20, 30}));
  }

  /** Without explicit positions the uncached greedy decoder is the cached generator's greedy decoding. */
  @Test
  void greedyWithSequentialPositionsIsTheGeneratorsGreedy() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 7, root)) {
      List<String> prompts = List.of("ab cd", "the quick", "z");
      List<String> reference = new ArrayList<>();
      new Generator(m, TOK).generate(prompts, SamplingParams.greedy(12)).forEach(g -> reference.add(g.text()));
      assertEquals(reference, TextPositions.greedy(m, TOK, prompts, null, 12));
      // character positions that are the token indexes (no phrase in these texts) give the same tokens ...
      List<Function<String, int[]>> indexes = new ArrayList<>();
      for (String p : List.of("zz cd", "the quick", "z")) {
        indexes.add(s -> range(1, p.length() + s.length()));
      }
      List<String> plain = TextPositions.greedy(m, TOK, List.of("zz cd", "the quick", "z"), null, 12);
      assertEquals(plain, TextPositions.greedy(m, TOK, List.of("zz cd", "the quick", "z"), indexes, 12));
    }
  }

  /** A row whose next positions would pass the model's context ends with what it has written. */
  @Test
  void aRowEndsWhereItsPositionsLeaveTheContext() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 7, root)) {
      String prompt = "the quick";
      Function<String, int[]> beyond = s -> {
        int[] r = range(1, prompt.length() + s.length());
        for (int i = prompt.length() + 4; i < r.length; i++) {
          r[i] = m.config().maxPositionEmbeddings() + i;
        }
        return r;
      };
      String free = TextPositions.greedy(m, TOK, List.of(prompt), null, 12).get(0);
      String cut = TextPositions.greedy(m, TOK, List.of(prompt), List.of(beyond), 12).get(0);
      assertEquals(12, free.length());
      assertEquals(free.substring(0, 5), cut, "4 characters at positions in the context, then the 5th is written");
    }
  }

  /** The batched last-token logits are the single-row reference's, and other positions give other logits. */
  @Test
  void lastLogitsUseTheGivenPositions() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 7, root)) {
      int[] a = TOK.encodeWithBos("the quick brown");
      int[] b = TOK.encodeWithBos("zz");
      float[][] seq = TextPositions.lastLogits(m, TOK, List.of(a, b),
          List.of(range(0, a.length), range(0, b.length)));
      float[] ref = Scoring.nextTokenLogProbs(m, TOK.padId(), a);
      float[] mine = io.genrm4j.infer.TokenSampler.logSoftmax(seq[0], 0, seq[0].length);
      for (int v = 0; v < ref.length; v++) {
        assertEquals(ref[v], mine[v], 1e-4, "token " + v);
      }
      int[] reversed = new int[a.length];
      for (int i = 0; i < a.length; i++) {
        reversed[i] = a.length - 1 - i;
      }
      float[][] other = TextPositions.lastLogits(m, TOK, List.of(a, b), List.of(reversed, range(0, b.length)));
      double diff = 0;
      for (int v = 0; v < seq[0].length; v++) {
        diff = Math.max(diff, Math.abs(seq[0][v] - other[0][v]));
      }
      // a random-init model barely uses positions (5e-4 here); the same positions give identical logits
      assertTrue(diff > 1e-5, "reversed positions change the logits: " + diff);
      assertArrayEquals(seq[1], other[1], 1e-5f, "the other row is untouched");
    }
  }

  private static int[] range(int from, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = from + i;
    }
    return out;
  }
}
