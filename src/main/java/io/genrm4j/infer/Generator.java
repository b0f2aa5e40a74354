package io.genrm4j.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.genrm4j.model.KvCache;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batched sampling with a KV cache. Prompts are left-padded so every row's next token is read from the last column;
 * finished rows are fed masked padding until the batch is done. {@link #sampleShared} encodes each prefix once and
 * samples K continuations of it from the cached prefix (GenRM-CoT votes).
 */
public final class Generator {
  private final LlamaModel model;
  private final Tokenizer tokenizer;

  public Generator(LlamaModel model, Tokenizer tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** Token ids of a prompt: BOS (when the tokenizer has one) followed by the text. */
  public int[] promptIds(String text) {
    return tokenizer.encodeWithBos(text);
  }

  /** One continuation per prompt; row i draws from its own stream (seed, i). */
  public List<Generation> generate(List<String> prompts, SamplingParams p) {
    List<int[]> ids = new ArrayList<>();
    prompts.forEach(s -> ids.add(promptIds(s)));
    List<List<Generation>> shared = sampleShared(ids, 1, p, null);
    List<Generation> out = new ArrayList<>();
    shared.forEach(g -> out.add(g.get(0)));
    return out;
  }

  /**
   * The state at the end of a decode: the cache over every fed token, and per row the sampled tokens not yet fed
   * (the last sampled token: a caller may continue from here, e.g. to score a verdict).
   */
  public record Decoded(KvCache cache, List<Generation> rows, int[][] pending) {}

  /**
   * K continuations of each prefix, sampled from one encoding of the prefix: result.get(c).get(k) is continuation
   * k of prefix c, drawn from stream (seed, c, k).
   *
   * @param keep when non-null, receives the final decode state (its cache is then the caller's to close)
   */
  public List<List<Generation>> sampleShared(List<int[]> prefixes, int k, SamplingParams p,
      java.util.function.Consumer<Decoded> keep) {
    return sampleShared(prefixes, k, p, null, keep);
  }

  /**
   * As {@link #sampleShared(List, int, SamplingParams, java.util.function.Consumer)}, with its own token limit per
   * prefix ({@code maxTokens[c]}, at most {@code p.maxTokens()}; null: {@code p.maxTokens()} for all), so that a long
   * prompt gets the room its context has left without shortening the other rows.
   */
  public List<List<Generation>> sampleShared(List<int[]> prefixes, int k, SamplingParams p, int[] maxTokens,
      java.util.function.Consumer<Decoded> keep) {
    return sampleShared(prefixes, k, p, maxTokens, (Restart) null, keep);
  }

  /**
   * Where a row's positions restart after its prefix: at {@code at[c]}, with {@code tails.get(c)} (possibly empty)
   * fed from there before sampling continues. For verifiers whose rationale re-uses earlier positions
   * ({@code verify.RationalePositions}).
   */
  public record Restart(long[] at, List<int[]> tails) {
    public static Restart at(long[] positions) {
      List<int[]> none = new ArrayList<>();
      for (int i = 0; i < positions.length; i++) {
        none.add(new int[0]);
      }
      return new Restart(positions, none);
    }
  }

  /** As above, with each row's positions restarting after its prefix ({@code restart} null: they do not). */
  public List<List<Generation>> sampleShared(List<int[]> prefixes, int k, SamplingParams p, int[] maxTokens,
      Restart restart, java.util.function.Consumer<Decoded> keep) {
    int[] limit = new int[prefixes.size() * k];
    for (int c = 0; c < prefixes.size(); c++) {
      int[] pr = prefixes.get(c);
      int max = maxTokens == null ? p.maxTokens() : Math.min(p.maxTokens(), maxTokens[c]);
      long first = restart == null ? pr.length : restart.at()[c] + restart.tails().get(c).length;
      if (max < 0 || first + max > model.config().maxPositionEmbeddings()) {
        throw new IllegalArgumentException("a prompt of " + pr.length + " tokens plus max_tokens " + max
            + " exceeds the model's max_position_embeddings " + model.config().maxPositionEmbeddings());
      }
      Arrays.fill(limit, c * k, c * k + k, max);
    }
    try (NDManager mgr = model.manager().newSubManager()) {
      Prefill pre = restart == null ? prefill(prefixes, mgr) : prefill(prefixes, restart, mgr);
      KvCache cache = k == 1 ? pre.cache : pre.cache.repeatRows(k);
      if (k != 1) {
        close(pre.cache);
      }
      float[][] logits = new float[prefixes.size() * k][];
      SplittableRandom[] rng = new SplittableRandom[logits.length];
      for (int c = 0; c < prefixes.size(); c++) {
        for (int j = 0; j < k; j++) {
          logits[c * k + j] = pre.lastLogits[c];
          rng[c * k + j] = TokenSampler.rowRandom(p.seed(), c, j);
        }
      }
      Decoded d = decode(cache, logits, rng, p, limit, mgr);
      List<List<Generation>> out = new ArrayList<>();
      for (int c = 0; c < prefixes.size(); c++) {
        out.add(new ArrayList<>(d.rows().subList(c * k, c * k + k)));
      }
      if (keep != null) {
        KvCache kept = detach(d.cache(), model.manager());
        keep.accept(new Decoded(kept, d.rows(), d.pending()));
      }
      return out;
    }
  }

  private record Prefill(KvCache cache, float[][] lastLogits) {}

  /** Encodes left-padded prompts; returns the cache and each row's next-token logits. */
  private Prefill prefill(List<int[]> prompts, NDManager mgr) {
    for (int[] pr : prompts) {
      if (pr.length == 0) {
        throw new IllegalArgumentException("empty prompt: a model needs at least one token (BOS) to start from");
      }
      if (pr.length > model.config().maxPositionEmbeddings()) {
        throw new IllegalArgumentException("prompt of " + pr.length + " tokens exceeds max_position_embeddings "
            + model.config().maxPositionEmbeddings());
      }
    }
    LlamaModel.Output out = model.append(model.emptyCache(prompts.size()), prompts, padId(), mgr);
    return new Prefill(out.cache(), lastColumnLogits(out.hidden(), prompts.size()));
  }

  /**
   * Encodes the prefixes, then each row's tail at its restart position; a row with an empty tail keeps its prefix's
   * next-token logits.
   */
  private Prefill prefill(List<int[]> prompts, Restart restart, NDManager mgr) {
    Prefill head = prefill(prompts, mgr);
    boolean anyTail = restart.tails().stream().anyMatch(t -> t.length > 0);
    KvCache moved = head.cache.continuingAt(restart.at());
    if (!anyTail) {
      return new Prefill(moved, head.lastLogits);
    }
    LlamaModel.Output out = model.append(moved, restart.tails(), padId(), mgr);
    float[][] tail = lastColumnLogits(out.hidden(), prompts.size());
    float[][] logits = new float[prompts.size()][];
    for (int r = 0; r < logits.length; r++) {
      logits[r] = restart.tails().get(r).length > 0 ? tail[r] : head.lastLogits[r];
    }
    close(head.cache);
    return new Prefill(out.cache(), logits);
  }

  float[][] lastColumnLogits(NDArray hidden, int rows) {
    long t = hidden.getShape().get(1);
    NDArray last = model.logits(hidden.get(":, " + (t - 1) + ":, :")); // [B, 1, V]
    float[] flat = last.toFloatArray();
    int v = model.config().vocabSize();
    float[][] out = new float[rows][];
    for (int r = 0; r < rows; r++) {
      out[r] = Arrays.copyOfRange(flat, r * v, (r + 1) * v);
    }
    return out;
  }

  private Decoded decode(KvCache cache, float[][] logits, SplittableRandom[] rng, SamplingParams p, int[] limit,
      NDManager mgr) {
    int rows = logits.length;
    List<List<Integer>> toks = new ArrayList<>();
    List<List<Float>> lps = new ArrayList<>();
    List<List<Map<String, Float>>> tops = new ArrayList<>();
    String[] finish = new String[rows];
    String[] matched = new String[rows];
    String[] text = new String[rows];
    int[][] pending = new int[rows][0];
    boolean[] done = new boolean[rows];
    for (int r = 0; r < rows; r++) {
      toks.add(new ArrayList<>());
      lps.add(new ArrayList<>());
      tops.add(new ArrayList<>());
      text[r] = "";
      if (limit[r] == 0) {
        done[r] = true;
        finish[r] = "length";
      }
    }
    int eos = tokenizer.eosId().orElse(-1);
    // Room for every step's keys/values up front: each step then writes one slot in place (see KvCache).
    cache = replace(cache, cache.reserve(Arrays.stream(limit).max().orElse(0), mgr));
    int remaining = 0;
    for (boolean d : done) {
      remaining += d ? 0 : 1;
    }
    while (remaining > 0) {
      if (Thread.currentThread().isInterrupted()) {
        // A server shutting down interrupts its model thread; stop within one step so the model can be closed.
        throw new java.util.concurrent.CancellationException("generation interrupted");
      }
      int[][] feed = new int[rows][];
      for (int r = 0; r < rows; r++) {
        feed[r] = new int[0];
        if (done[r]) {
          continue;
        }
        float[] logp = TokenSampler.logSoftmax(logits[r], 0, logits[r].length);
        int tok = TokenSampler.choose(logp, p, rng[r]);
        pending[r] = new int[] {tok};
        if (tok == eos && p.stopAtEos()) {
          done[r] = true;
          finish[r] = "stop";
          remaining--;
          continue;
        }
        toks.get(r).add(tok);
        lps.get(r).add(logp[tok]);
        if (p.topLogprobs() > 0) {
          tops.get(r).add(top(logp, p.topLogprobs()));
        }
        String s = decodeRow(toks.get(r));
        String stop = firstStop(s, p.stop());
        text[r] = stop == null ? s : s.substring(0, s.indexOf(stop));
        if (stop != null || toks.get(r).size() >= limit[r]) {
          done[r] = true;
          finish[r] = stop != null ? "stop" : "length";
          matched[r] = stop;
          remaining--;
          continue;
        }
        feed[r] = pending[r];
        pending[r] = new int[0];
      }
      if (remaining == 0) {
        break;
      }
      try (NDManager step = mgr.newSubManager()) {
        LlamaModel.Output out = model.append(cache, Arrays.asList(feed), padId(), step);
        cache = replace(cache, detach(out.cache(), mgr));
        float[][] fresh = lastColumnLogits(out.hidden(), rows);
        for (int r = 0; r < rows; r++) {
          if (!done[r]) {
            logits[r] = fresh[r];
          }
        }
      }
    }
    List<Generation> gens = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int[] ids = toks.get(r).stream().mapToInt(Integer::intValue).toArray();
      float[] lp = new float[ids.length];
      for (int i = 0; i < lp.length; i++) {
        lp[i] = lps.get(r).get(i);
      }
      gens.add(new Generation(ids, text[r], finish[r], matched[r], lp, tops.get(r)));
    }
    return new Decoded(replace(cache, cache.compact(mgr)), gens, pending);
  }

  private String decodeRow(List<Integer> ids) {
    return tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray());
  }

  private static String firstStop(String s, List<String> stops) {
    String best = null;
    int at = Integer.MAX_VALUE;
    for (String st : stops) {
      int i = s.indexOf(st);
      if (i >= 0 && i < at) {
        at = i;
        best = st;
      }
    }
    return best;
  }

  private Map<String, Float> top(float[] logp, int n) {
    Integer[] order = new Integer[logp.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(logp[b], logp[a]));
    Map<String, Float> m = new LinkedHashMap<>();
    for (int i = 0; i < Math.min(n, order.length); i++) {
      m.put(tokenizer.tokenText(order[i]), logp[order[i]]);
    }
    return m;
  }

  int padId() {
    return Math.max(0, tokenizer.padId());
  }

  /** Moves a cache's arrays to {@code target} so they outlive the step manager that made them. */
  static KvCache detach(KvCache c, NDManager target) {
    for (NDArray a : c.keys()) {
      a.attach(target);
    }
    for (NDArray a : c.values()) {
      a.attach(target);
    }
    c.valid().attach(target);
    return c;
  }

  /**
   * {@code next}, after freeing {@code old} unless {@code next} is over the same buffers (a reserved cache written in
   * place, or one that needed no copy).
   */
  private static KvCache replace(KvCache old, KvCache next) {
    if (next.keys() != old.keys()) {
      close(old);
    }
    return next;
  }

  /** Frees a cache's arrays. */
  public static void close(KvCache c) {
    for (NDArray a : c.keys()) {
      if (a != null) {
        a.close();
      }
    }
    for (NDArray a : c.values()) {
      if (a != null) {
        a.close();
      }
    }
    if (c.valid() != null) {
      c.valid().close();
    }
  }
}
