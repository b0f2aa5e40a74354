package io.genrm4j.infer;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.TokenBatch;
import io.genrm4j.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Sequences whose rotary positions are a function of their text ({@link io.genrm4j.task.CoupledPositions}): token
 * positions from character positions, and greedy decoding that recomputes them as the text grows.
 */
public final class TextPositions {
  private TextPositions() {}

  /**
   * Token positions from character positions: the BOS token at 0, every other token at its first character's
   * position, EOS one after the last character's.
   *
   * @param ids the tokens, BOS first when the tokenizer has one
   * @param charPositions the position of every character of the tokens' text
   */
  public static int[] ofTokens(Tokenizer tok, int[] ids, int[] charPositions) {
    int[] out = new int[ids.length];
    int offset = 0;
    for (int i = 0; i < ids.length; i++) {
      if (tok.bosId().isPresent() && ids[i] == tok.bosId().getAsInt()) {
        out[i] = 0;
      } else if (tok.eosId().isPresent() && ids[i] == tok.eosId().getAsInt()) {
        out[i] = offset == 0 ? 0 : charPositions[offset - 1] + 1;
      } else {
        out[i] = charPositions[offset];
        offset += tok.tokenText(ids[i]).length();
      }
    }
    return out;
  }

  /**
   * Greedy continuations of the prompts, each up to EOS or {@code maxTokens}. Row i's positions are
   * {@code positionsOf.get(i)} of its continuation so far (which returns the positions of prompt + continuation), or
   * 0, 1, 2, ... when {@code positionsOf} is null;
   * there is no cache: every step runs the whole batch, so this is a reference and a small-scale tool, not a fast
   * path.
   */
  public static List<String> greedy(LlamaModel m, Tokenizer tok, List<String> prompts,
      List<Function<String, int[]>> positionsOf, int maxTokens) {
    List<int[]> prompt = new ArrayList<>();
    prompts.forEach(p -> prompt.add(tok.encodeWithBos(p)));
    List<List<Integer>> out = new ArrayList<>();
    prompts.forEach(p -> out.add(new ArrayList<>()));
    boolean[] done = new boolean[prompts.size()];
    int eos = tok.eosId().orElse(-1);
    int context = m.config().maxPositionEmbeddings();
    for (int step = 0; step < maxTokens; step++) {
      List<int[]> rows = new ArrayList<>();
      List<int[]> positions = new ArrayList<>();
      for (int r = 0; r < prompts.size(); r++) {
        int[] ids = concat(prompt.get(r), out.get(r));
        int[] pos;
        if (positionsOf == null) {
          pos = java.util.stream.IntStream.range(0, ids.length).toArray();
        } else {
          String continuation = tok.decode(out.get(r).stream().mapToInt(Integer::intValue).toArray());
          pos = ofTokens(tok, ids, positionsOf.get(r).apply(continuation));
        }
        if (java.util.Arrays.stream(pos).max().orElse(0) >= context) {
          // the text ran past the model's positions (a long, wrong continuation): the row ends where it is
          done[r] = true;
          ids = prompt.get(r);
          pos = java.util.Arrays.copyOf(pos, ids.length);
        }
        rows.add(ids);
        positions.add(pos);
      }
      float[][] logits = lastLogits(m, tok, rows, positions);
      boolean any = false;
      for (int r = 0; r < prompts.size(); r++) {
        if (done[r]) {
          continue;
        }
        int best = 0;
        for (int v = 1; v < logits[r].length; v++) {
          if (logits[r][v] > logits[r][best]) {
            best = v;
          }
        }
        if (best == eos) {
          done[r] = true;
        } else {
          out.get(r).add(best);
          any = true;
        }
      }
      if (!any) {
        break;
      }
    }
    List<String> texts = new ArrayList<>();
    out.forEach(ids -> texts.add(tok.decode(ids.stream().mapToInt(Integer::intValue).toArray())));
    return texts;
  }

  /** The next-token logits after each row's last token, [rows][vocab], the rows run as one batch at {@code positions}. */
  static float[][] lastLogits(LlamaModel m, Tokenizer tok, List<int[]> rows, List<int[]> positions) {
    try (NDManager mgr = m.manager().newSubManager()) {
      TokenBatch tb = TokenBatch.rightPadded(rows, positions, tok.padId(), mgr);
      LlamaModel.Output o = m.forward(tb.ids(), tb.valid(), tb.positions(), null);
      var l = m.logits(o.hidden()); // [B, T, V]
      int width = (int) l.getShape().get(1);
      int vocab = (int) l.getShape().get(2);
      float[] all = l.toFloatArray();
      float[][] out = new float[rows.size()][];
      for (int r = 0; r < rows.size(); r++) {
        int from = (r * width + rows.get(r).length - 1) * vocab; // the row's last real token
        out[r] = java.util.Arrays.copyOfRange(all, from, from + vocab);
      }
      return out;
    }
  }

  private static int[] concat(int[] a, List<Integer> b) {
    int[] out = java.util.Arrays.copyOf(a, a.length + b.size());
    for (int i = 0; i < b.size(); i++) {
      out[a.length + i] = b.get(i);
    }
    return out;
  }
}
