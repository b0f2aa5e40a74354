package io.genrm4j.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.KvCache;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratorTest {
  static final CharTokenizer TOK = CharTokenizer.of("abcdefghijklmnopqrstuvwxyz ?.\n");

  @Test
  void greedyWithCacheEqualsGreedyByReencoding() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 2, root)) {
      Generator g = new Generator(m, TOK);
      List<String> prompts = List.of("abc", "hello there", "z");
      SamplingParams p = new SamplingParams(12, 0, 1, 0, List.of(), 0, false, 0);
      List<Generation> cached = g.generate(prompts, p);
      for (int i = 0; i < prompts.size(); i++) {
        int[] ids = g.promptIds(prompts.get(i));
        List<Integer> expected = new ArrayList<>();
        for (int step = 0; step < 12; step++) {
          float[] lp = Scoring.nextTokenLogProbs(m, 0, ids);
          int best = 0;
          for (int v = 1; v < lp.length; v++) {
            best = lp[v] > lp[best] ? v : best;
          }
          expected.add(best);
          ids = java.util.Arrays.copyOf(ids, ids.length + 1);
          ids[ids.length - 1] = best;
        }
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), cached.get(i).tokens(),
            "prompt " + i);
        assertEquals("length", cached.get(i).finishReason());
      }
    }
  }

  @Test
  void anInterruptedThreadStopsGeneratingAndCanGoOn() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 2, root)) {
      Generator g = new Generator(m, TOK);
      SamplingParams p = new SamplingParams(50, 0, 1, 0, List.of(), 0, false, 0);
      Thread.currentThread().interrupt(); // what ModelWorker.close does to a model thread mid-batch
      try {
        assertThrows(java.util.concurrent.CancellationException.class, () -> g.generate(List.of("abc"), p));
      } finally {
        assertTrue(Thread.interrupted()); // the flag is left for the caller, who clears it here
      }
      assertEquals(50, g.generate(List.of("abc"), p).get(0).tokens().length);
    }
  }

  @Test
  void seededSamplingIsReproducibleAndIndependentOfBatchComposition() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 2, root)) {
      Generator g = new Generator(m, TOK);
      SamplingParams p = new SamplingParams(20, 1.0, 0.9, 20, List.of(), 42, false, 0);
      List<Generation> a = g.generate(List.of("abc", "hello"), p);
      List<Generation> b = g.generate(List.of("abc", "hello"), p);
      assertEquals(a.get(0).text(), b.get(0).text());
      assertEquals(a.get(1).text(), b.get(1).text());
      List<Generation> c = g.generate(List.of("abc", "hello"), p.withSeed(43));
      assertFalse(a.get(0).text().equals(c.get(0).text()) && a.get(1).text().equals(c.get(1).text()));
    }
  }

  @Test
  void stopStringsEndARowAndAreCutFromTheText() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 2, root)) {
      Generator g = new Generator(m, TOK);
      SamplingParams free = new SamplingParams(40, 1.0, 1, 0, List.of(), 7, false, 0);
      String text = g.generate(List.of("abc"), free).get(0).text();
      String stop = text.substring(5, 7);
      Generation s = g.generate(List.of("abc"), free.withStop(List.of(stop))).get(0);
      assertEquals("stop", s.finishReason());
      assertEquals(stop, s.stopMatched());
      assertEquals(text.substring(0, text.indexOf(stop)), s.text());
    }
  }

  @Test
  void sharedPrefixSamplesEqualIndividuallyDecodedRows() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 2, root)) {
      Generator g = new Generator(m, TOK);
      SamplingParams p = new SamplingParams(15, 1.0, 1, 0, List.of(), 5, false, 0);
      List<int[]> prefixes = List.of(g.promptIds("abc abc"), g.promptIds("q"));
      List<List<Generation>> shared = g.sampleShared(prefixes, 4, p);
      // The same rows decoded one prefix at a time (different padding, batch size and cache layout).
      for (int c = 0; c < prefixes.size(); c++) {
        List<List<Generation>> alone = g.sampleShared(List.of(prefixes.get(c)), 4, p);
        for (int k = 0; k < 4; k++) {
          if (c == 0) {
            assertEquals(shared.get(c).get(k).text(), alone.get(0).get(k).text(), "prefix " + c + " sample " + k);
          }
          assertEquals(15, shared.get(c).get(k).tokens().length);
        }
      }
    }
  }

  @Test
  void continuationLogProbsMatchTeacherForcedReencoding() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 3, root)) {
      Generator g = new Generator(m, TOK);
      List<int[]> contexts = List.of(g.promptIds("is it right?"), g.promptIds("a?"), g.promptIds("x"));
      List<int[]> labels = List.of(TOK.encode(" yes"), TOK.encode(" no"));
      double[][] fast = Scoring.continuationLogProbs(m, 0, contexts, labels);
      for (int c = 0; c < contexts.size(); c++) {
        for (int l = 0; l < labels.size(); l++) {
          int[] full = java.util.Arrays.copyOf(contexts.get(c), contexts.get(c).length + labels.get(l).length);
          System.arraycopy(labels.get(l), 0, full, contexts.get(c).length, labels.get(l).length);
          float[] lp = Scoring.tokenLogProbs(m, 0, List.of(full))[0];
          double sum = 0;
          for (int j = lp.length - labels.get(l).length; j < lp.length; j++) {
            sum += lp[j];
          }
          assertEquals(sum, fast[c][l], 1e-4, "context " + c + " label " + l);
          assertTrue(fast[c][l] < 0);
        }
      }
    }
  }

  /**
   * Forced tokens replace a row's picks from the step its rule fires, carry log-prob 0 and are fed like sampled ones:
   * greedy decoding after them goes on as from a prompt that ends with them. Rows the rule leaves alone decode as
   * without it (two prefixes, K = 2, a shared prefix).
   */
  @Test
  void aRowTakesTheTokensItIsForcedAndGoesOnFromThem() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 4, root)) {
      Generator g = new Generator(m, TOK);
      List<int[]> prefixes = List.of(g.promptIds("abc"), g.promptIds("hello"));
      SamplingParams p = SamplingParams.greedy(12);
      List<List<Generation>> free = g.sample(SampleRequest.of(prefixes, 2, p)).generations();
      int at = 3;
      String head = free.get(0).get(0).text().substring(0, at);
      int[] forced = TOK.encode("zz q");
      SampleRequest.Forcing rule = (c, text) -> c == 0 && text.equals(head) ? forced : new int[0];
      List<List<Generation>> with = g.sample(SampleRequest.of(prefixes, 2, p).withForcing(rule)).generations();
      assertArrayEquals(free.get(1).get(1).tokens(), with.get(1).get(1).tokens(), "prefix 1 is not forced");
      for (Generation gen : with.get(0)) {
        int[] t = gen.tokens();
        int end = at + forced.length;
        assertArrayEquals(java.util.Arrays.copyOf(free.get(0).get(0).tokens(), at), java.util.Arrays.copyOf(t, at));
        assertArrayEquals(forced, java.util.Arrays.copyOfRange(t, at, end));
        for (int j = at; j < end; j++) {
          assertEquals(0f, gen.logprobs()[j]);
        }
        int[] prompt = io.genrm4j.model.tokenizer.Tokenizer.concat(prefixes.get(0), java.util.Arrays.copyOf(t, end));
        Generation rest = g.sample(SampleRequest.of(List.of(prompt), 1, SamplingParams.greedy(12 - end)))
            .generations().get(0).get(0);
        assertArrayEquals(rest.tokens(), java.util.Arrays.copyOfRange(t, end, t.length));
      }
    }
  }

  /**
   * A position rule moves sampled tokens in position space as they are fed (here every third token back onto an
   * earlier position): each token's log-prob equals a fresh forward pass over the whole sequence at those positions,
   * with two prefixes, K = 2 and a shared prefix. Without the rule applied in decoding the log-probs differ.
   */
  @Test
  void sampledTokensAreFedWhereThePositionRuleSays() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 4, root)) {
      // sharp attention, so that where a token sits changes what the model predicts (at N(0, 0.02) it hardly does)
      m.parameters().forEach((name, w) -> {
        if (name.endsWith("q_proj.weight") || name.endsWith("k_proj.weight")) {
          w.muli(40);
        }
      });
      Generator g = new Generator(m, TOK);
      List<int[]> prefixes = List.of(g.promptIds("abc"), g.promptIds("hello"));
      SampleRequest.PositionRule rule = (c, sampled) -> {
        int n = sampled.length; // the n-th sampled token, at position prefix + n - 1 unless moved
        long seq = prefixes.get(c).length + n - 1;
        return n % 3 == 0 ? seq - 5 : seq;
      };
      SamplingParams p = new SamplingParams(10, 1.0, 1, 0, List.of(), 5, false, 0);
      List<List<Generation>> gens = g.sample(SampleRequest.of(prefixes, 2, p).withPositionRule(rule)).generations();
      for (int c = 0; c < prefixes.size(); c++) {
        for (Generation gen : gens.get(c)) {
          int[] ids = io.genrm4j.model.tokenizer.Tokenizer.concat(prefixes.get(c), gen.tokens());
          int[] pos = new int[ids.length];
          for (int i = 0; i < ids.length; i++) {
            int n = i - prefixes.get(c).length + 1;
            pos[i] = n <= 0 ? i : (int) rule.position(c, java.util.Arrays.copyOf(gen.tokens(), n));
          }
          float[] lp = logProbsAt(m, ids, pos);
          for (int j = 0; j < gen.tokens().length; j++) {
            assertEquals(lp[prefixes.get(c).length + j - 1], gen.logprobs()[j], 1e-4, "prefix " + c + " token " + j);
          }
        }
      }
    }
  }

  /**
   * A position rule that runs ahead of the token count (a coupled rationale placing a long garbled answer on the
   * candidate's) ends a row as its token limit does, at the row's last position (first sampled position + limit):
   * before, decoding a row past the model's positions threw an index out of bounds in the rotary table. Every way of
   * decoding stops at the same token, and the kept cache's next position stays within the limit.
   */
  @Test
  void aPositionRuleThatRunsAheadEndsTheRowAtItsLastPosition() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 4, root)) {
      int ctx = m.config().maxPositionEmbeddings();
      List<int[]> prefixes = List.of(TOK.encodeWithBos("abc"), TOK.encodeWithBos("hello"));
      int[] maxTokens = {ctx - prefixes.get(0).length - 3, ctx - prefixes.get(1).length - 3};
      SampleRequest.PositionRule rule = (c, sampled) -> prefixes.get(c).length + 40L * (sampled.length - 1);
      SamplingParams p = new SamplingParams(ctx, 1.0, 1, 0, List.of(), 3, false, 0);
      for (Generator.Decoding way : Generator.Decoding.values()) {
        SampleRequest req = SampleRequest.of(prefixes, 2, p).withMaxTokens(maxTokens).withPositionRule(rule)
            .keepingCache();
        try (Samples s = new Generator(m, TOK, way).sample(req)) {
          for (int c = 0; c < 2; c++) {
            int last = prefixes.get(c).length + maxTokens[c]; // the first position not fed
            int fed = (last - prefixes.get(c).length + 39) / 40; // tokens whose position is below it
            for (int j = 0; j < 2; j++) {
              Generation g = s.generations().get(c).get(j);
              assertEquals("length", g.finishReason(), way + " prefix " + c);
              assertEquals(fed + 1, g.tokens().length, way + " prefix " + c); // the last one is not fed
              assertTrue(s.cache().nextPosition()[c * 2 + j] <= last, way + " prefix " + c);
            }
          }
        }
      }
    }
  }

  /** log p(ids[i+1] | ids[..i]) for every i, one forward pass at the given positions. */
  private static float[] logProbsAt(LlamaModel m, int[] ids, int[] pos) {
    return io.genrm4j.model.LogProbs.perToken(m, List.of(ids), List.of(pos), 0, m.manager())[0];
  }

  /**
   * K votes read their prompt's cache in place (one copy for K rows): the same tokens, log-probs and label scores from
   * the kept cache as K copies of the prefix give, with prompts of different lengths (padding) and a restart; and
   * the same again (to float rounding) when the votes decode in plain Java and hand their cache back to the engine.
   */
  @Test
  void votesFromASharedPrefixEqualVotesFromCopiesOfIt() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 4, root)) {
      List<int[]> prefixes = List.of(TOK.encodeWithBos("is abc right?"), TOK.encodeWithBos("q"));
      SamplingParams p = new SamplingParams(9, 1.0, 0.95, 20, List.of(), 7, false, 0);
      Generator.Decoding[] ways = Generator.Decoding.values();
      double[][][] labelLp = new double[ways.length][][];
      List<List<List<Generation>>> out = new ArrayList<>();
      for (Generator.Decoding way : ways) {
        Generator g = new Generator(m, TOK, way);
        SampleRequest req = SampleRequest.of(prefixes, 4, p).keepingCache();
        try (Samples s = g.sample(req); NDManager mgr = root.newSubManager()) {
          assertEquals(way != Generator.Decoding.ENGINE_COPIES, s.cache().prefix() != null, way.name());
          int[][] pending = new int[8][];
          for (int r = 0; r < 8; r++) {
            int[] t = s.generations().get(r / 4).get(r % 4).tokens();
            pending[r] = new int[] {t[t.length - 1]};
          }
          labelLp[way.ordinal()] = Scoring.labelLogProbs(m, 0, s.cache(), pending,
              List.of(TOK.encode(" yes"), TOK.encode(" no")), mgr);
          out.add(s.generations());
        }
      }
      int copies = Generator.Decoding.ENGINE_COPIES.ordinal();
      for (Generator.Decoding way : ways) {
        double tolerance = way == Generator.Decoding.JAVA ? 1e-4 : 1e-5;
        for (int r = 0; r < 8; r++) {
          Generation a = out.get(way.ordinal()).get(r / 4).get(r % 4);
          Generation b = out.get(copies).get(r / 4).get(r % 4);
          assertArrayEquals(b.tokens(), a.tokens(), way + ", row " + r);
          for (int j = 0; j < a.logprobs().length; j++) {
            assertEquals(b.logprobs()[j], a.logprobs()[j], tolerance);
          }
          assertEquals(labelLp[copies][r][0], labelLp[way.ordinal()][r][0], tolerance, way + ", row " + r);
          assertEquals(labelLp[copies][r][1], labelLp[way.ordinal()][r][1], tolerance, way + ", row " + r);
        }
      }
    }
  }

  /**
   * Decoding in plain Java draws the engine's tokens with its log-probs: prompts of different lengths, K samples of
   * each, greedy and sampled with top log-probs.
   */
  @Test
  void javaDecodingSamplesTheEnginesTokens() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 5, root)) {
      List<int[]> prefixes = List.of(TOK.encodeWithBos("hello there"), TOK.encodeWithBos("abc"));
      for (SamplingParams p : List.of(new SamplingParams(30, 0, 1, 0, List.of(), 0, false, 0),
          new SamplingParams(30, 1.0, 1, 0, List.of(), 7, false, 2), new SamplingParams(30, 1.0, 1, 0, List.of(), 7,
              true, 0))) { // greedy, sampled with top log-probs, sampled until EOS
        List<List<Generation>> java = new Generator(m, TOK).sampleShared(prefixes, 3, p);
        List<List<Generation>> engine = new Generator(m, TOK, Generator.Decoding.ENGINE).sampleShared(prefixes, 3, p);
        for (int r = 0; r < 6; r++) {
          Generation a = java.get(r / 3).get(r % 3);
          Generation b = engine.get(r / 3).get(r % 3);
          assertArrayEquals(b.tokens(), a.tokens(), "row " + r);
          assertArrayEquals(b.logprobs(), a.logprobs(), 1e-4f, "row " + r);
          assertEquals(b.finishReason(), a.finishReason());
          assertEquals(b.topLogprobs().size(), a.topLogprobs().size());
        }
        assertTrue(java.get(0).get(0).tokens().length >= 10, "a generation long enough to compare");
      }
    }
  }

  /** The memory of K votes: the kept cache holds each prompt's keys once and K rows of rationale slots. */
  @Test
  void aSharedPrefixIsHeldOnceNotKTimes() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 4, root)) {
      int[] prompt = TOK.encodeWithBos("a long prompt that every vote reads again and again ".repeat(4));
      int k = 16;
      int steps = 6;
      SampleRequest req = SampleRequest.of(List.of(prompt), k, new SamplingParams(steps, 1.0, 1, 0, List.of(), 1,
          false, 0)).keepingCache();
      try (Samples s = new Generator(m, TOK).sample(req)) {
        KvCache c = s.cache();
        long prefixBytes = bytes(c.prefix().cache());
        long ownBytes = bytes(c);
        assertEquals(1, c.prefix().cache().batchSize());
        assertEquals(k, c.batchSize());
        assertEquals(steps - 1, c.length()); // the last sampled token is not fed
        // one prompt's worth of keys and values, plus K rows of steps - 1 slots: K copies would be 16x the first
        assertTrue(prefixBytes + ownBytes < 2 * prefixBytes, prefixBytes + " + " + ownBytes);
      }
    }
  }

  private static long bytes(KvCache c) {
    long n = 0;
    for (int l = 0; l < c.keys().length; l++) {
      n += 4 * (c.keys()[l].size() + c.values()[l].size());
    }
    return n;
  }
}
