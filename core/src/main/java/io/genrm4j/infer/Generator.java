package io.genrm4j.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.genrm4j.model.KvCache;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.RowDecoder;
import io.genrm4j.model.tokenizer.Tokenizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batched sampling with a KV cache. Prompts are left-padded so every row's next token is read from the last column;
 * finished rows are fed masked padding until the batch is done. {@link #sampleShared} encodes each prefix once and
 * samples K continuations of it from the cached prefix (GenRM-CoT votes); {@link #sample} does the same for a
 * {@link SampleRequest} with per-prefix limits, position restarts, or the final cache kept. After the prompts' prefill
 * in the engine, the rows decode in plain Java ({@link RowDecoder}) when the model has a decoder there; else in the
 * engine.
 */
public final class Generator {
  private final LlamaModel model;
  private final Tokenizer tokenizer;

  private final Decoding decoding;

  /** Where decode steps run (tests compare the three). */
  enum Decoding {
    /** In plain Java where the model has a {@link RowDecoder}; else as the next. */
    JAVA,
    /** In the engine, K samples of a prompt reading its cache in place. */
    ENGINE,
    /** In the engine, K samples of a prompt from K copies of its cache. */
    ENGINE_COPIES
  }

  public Generator(LlamaModel model, Tokenizer tokenizer) {
    this(model, tokenizer, Decoding.JAVA);
  }

  Generator(LlamaModel model, Tokenizer tokenizer, Decoding decoding) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.decoding = decoding;
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
    List<List<Generation>> shared = sampleShared(ids, 1, p);
    List<Generation> out = new ArrayList<>();
    shared.forEach(g -> out.add(g.get(0)));
    return out;
  }

  /**
   * K continuations of each prefix, sampled from one encoding of the prefix: result.get(c).get(j) is continuation
   * j of prefix c, drawn from stream (seed, c, j).
   */
  public List<List<Generation>> sampleShared(List<int[]> prefixes, int k, SamplingParams p) {
    return sample(SampleRequest.of(prefixes, k, p)).generations();
  }

  /**
   * Samples as {@link #sampleShared(List, int, SamplingParams)} does, with the request's per-prefix token limits and
   * position restarts; the result holds the final cache when the request keeps it (close the result then).
   */
  public Samples sample(SampleRequest req) {
    int k = req.k();
    int[] limit = tokenLimits(req); // per row
    try (NDManager mgr = model.manager().newSubManager()) {
      Prefill pre = req.restart() == null ? prefill(req.prefixes(), mgr)
          : prefill(req.prefixes(), req.restart(), mgr);
      List<Row> rows = new ArrayList<>();
      for (int c = 0; c < req.prefixes().size(); c++) {
        for (int j = 0; j < k; j++) {
          rows.add(new Row(TokenSampler.rowRandom(req.params().seed(), c, j), limit[c * k + j]));
        }
      }
      NDArray first = k == 1 ? pre.logits : pre.logits.repeat(0, k); // row c * k + j continues prefix c
      Decoded d = decodeInJava(pre.cache, rows, first, req, mgr);
      if (d == null) {
        // K > 1: the rows read the prefill's cache in place (held once); sliding-window models get copies of it
        KvCache cache = k == 1 ? pre.cache : sharePrefix() ? KvCache.sharing(pre.cache, k) : pre.cache.repeatRows(k);
        if (k != 1 && !sharePrefix()) {
          close(pre.cache);
        }
        d = decode(cache, rows, first, req, mgr);
      }
      List<List<Generation>> out = new ArrayList<>();
      for (int c = 0; c < req.prefixes().size(); c++) {
        out.add(new ArrayList<>(d.generations().subList(c * k, c * k + k)));
      }
      return new Samples(out, req.keepCache() ? detach(d.cache(), model.manager()) : null);
    }
  }

  /** Whether K samples of a prompt read its cache in place ({@link KvCache#sharing}) rather than K copies of it. */
  boolean sharePrefix() {
    return decoding != Decoding.ENGINE_COPIES && model.config().slidingWindow() <= 0;
  }

  /** Each row's token limit (row c * k + j samples prefix c); rejects limits that run past the context. */
  private int[] tokenLimits(SampleRequest req) {
    int k = req.k();
    int[] limit = new int[req.prefixes().size() * k];
    for (int c = 0; c < req.prefixes().size(); c++) {
      int max = req.maxTokens(c);
      if (max < 0 || req.firstSampledPosition(c) + max > model.config().maxPositionEmbeddings()) {
        throw new IllegalArgumentException("a prompt of " + req.prefixes().get(c).length + " tokens plus max_tokens "
            + max + " exceeds the model's max_position_embeddings " + model.config().maxPositionEmbeddings());
      }
      Arrays.fill(limit, c * k, c * k + k, max);
    }
    return limit;
  }

  /**
   * Each row's first position not to feed: its first sampled position plus its token limit, where a row without a
   * position rule stops anyway. A text-dependent rule (a coupled rationale) can place a token further on than the
   * number of tokens before it; without this bound a long rationale ran past the model's positions (an index out of
   * bounds in the rotary table: {@code genrm verify --mode genrm-cot} on a garbled 5-word sort, 2026-12-07).
   */
  private static int[] positionLimits(SampleRequest req) {
    int k = req.k();
    int[] limit = new int[req.prefixes().size() * k];
    for (int c = 0; c < req.prefixes().size(); c++) {
      Arrays.fill(limit, c * k, c * k + k, (int) req.firstSampledPosition(c) + req.maxTokens(c));
    }
    return limit;
  }

  /** The prompts' cache and each prompt's next-token logits, [C, V]. */
  private record Prefill(KvCache cache, NDArray logits) {}

  /** Encodes left-padded prompts. */
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
    return new Prefill(out.cache(), lastLogits(out.hidden()));
  }

  /**
   * Encodes the prefixes, then each row's tail at its restart position; a row with an empty tail keeps its prefix's
   * next-token logits.
   */
  private Prefill prefill(List<int[]> prompts, SampleRequest.Restart restart, NDManager mgr) {
    Prefill head = prefill(prompts, mgr);
    boolean anyTail = restart.tails().stream().anyMatch(t -> t.length > 0);
    KvCache moved = head.cache.continuingAt(restart.at());
    if (!anyTail) {
      return new Prefill(moved, head.logits);
    }
    LlamaModel.Output out = model.append(moved, restart.tails(), padId(), mgr);
    boolean[] hasTail = new boolean[prompts.size()];
    for (int r = 0; r < hasTail.length; r++) {
      hasTail[r] = restart.tails().get(r).length > 0;
    }
    NDArray fromTail = mgr.create(hasTail).reshape(hasTail.length, 1);
    NDArray next = NDArrays.where(fromTail, lastLogits(out.hidden()), head.logits); // [C, V]
    close(head.cache);
    return new Prefill(out.cache(), next);
  }

  /** Each row's next-token logits at the last column: [B, V] (the LM head runs there only). */
  private NDArray lastLogits(NDArray hidden) {
    long t = hidden.getShape().get(1);
    return model.logits(hidden.get(":, " + (t - 1) + ":, :")).squeeze(1);
  }

  /**
   * The state at the end of a decode: the cache over every fed token (after {@link #decodeInJava}, only when the
   * request keeps it), and each row's generation.
   */
  private record Decoded(KvCache cache, List<Generation> generations) {}

  /** One row's decode state: its random stream, what it sampled so far, and how it ended. */
  private final class Row {
    private final SplittableRandom rng;
    private final int limit;
    private final List<Integer> tokens = new ArrayList<>();
    private final List<Float> logprobs = new ArrayList<>();
    private final List<Map<String, Float>> top = new ArrayList<>();
    private final ArrayDeque<Integer> forced = new ArrayDeque<>(); // to take before sampling again
    private String text = "";
    private String finish;
    private String matched;
    private boolean done;

    Row(SplittableRandom rng, int limit) {
      this.rng = rng;
      this.limit = limit;
      if (limit == 0) {
        done = true;
        finish = "length";
      }
    }

    /**
     * Takes {@code tok} (row {@code r}'s pick in {@code picks}, or a forced token) with log-prob {@code logp}; returns
     * what to feed the model: that token, or nothing when the row ends here.
     */
    int[] step(int tok, float logp, TokenSampler.Picks picks, int r, SamplingParams p, int eos) {
      if (tok == eos && p.stopAtEos()) {
        done = true;
        finish = "stop";
        return new int[0];
      }
      tokens.add(tok);
      logprobs.add(logp);
      if (p.topLogprobs() > 0) {
        top.add(top(picks.rows()[r], p.topLogprobs()));
      }
      String s = tokenizer.decode(ids());
      String stop = firstStop(s, p.stop());
      text = stop == null ? s : s.substring(0, s.indexOf(stop));
      if (stop != null || tokens.size() >= limit) {
        done = true;
        finish = stop != null ? "stop" : "length";
        matched = stop;
        return new int[0];
      }
      return new int[] {tok};
    }

    /**
     * Ends the row before its last token is fed, as its token limit does: a position rule placed that token at or
     * past the row's last position ({@link #positionLimits}).
     */
    void endAtPositionLimit() {
      done = true;
      finish = "length";
    }

    /** The ids sampled (or forced) so far. */
    int[] ids() {
      return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    Generation generation() {
      float[] lp = new float[logprobs.size()];
      for (int i = 0; i < lp.length; i++) {
        lp[i] = logprobs.get(i);
      }
      return new Generation(ids(), text, finish, matched, lp, top);
    }
  }

  /**
   * Samples every row until each ends, one token per live row per step, starting from {@code logits} [B, V] (the
   * rows' next-token logits after the prompt); finished rows are fed masked padding.
   */
  private Decoded decode(KvCache cache, List<Row> rows, NDArray logits, SampleRequest req, NDManager mgr) {
    SamplingParams p = req.params();
    SampleRequest.PositionRule rule = req.positionRule();
    int k = req.k();
    int eos = tokenizer.eosId().orElse(-1);
    SplittableRandom[] rng = rows.stream().map(r -> r.rng).toArray(SplittableRandom[]::new);
    // Room for every step's keys/values up front: each step then writes one slot in place (see KvCache).
    cache = replace(cache, cache.reserve(rows.stream().mapToInt(r -> r.limit).max().orElse(0), mgr));
    int[] lastPosition = positionLimits(req);
    List<int[]> feed = take(rows, TokenSampler.choose(logits, p, rng, live(rows)), req, eos);
    while (rows.stream().anyMatch(r -> !r.done)) {
      stopIfInterrupted();
      if (rule != null) {
        long[] at = cache.nextPosition().clone();
        for (int r = 0; r < rows.size(); r++) {
          if (feed.get(r).length > 0) {
            long position = rule.position(r / k, rows.get(r).ids());
            if (position >= lastPosition[r]) {
              rows.get(r).endAtPositionLimit();
              feed.set(r, new int[0]); // take() returns a list of its own
            } else {
              at[r] = position;
            }
          }
        }
        if (rows.stream().allMatch(r -> r.done)) {
          break;
        }
        cache = cache.continuingAt(at);
      }
      try (NDManager step = mgr.newSubManager()) {
        LlamaModel.Output out = model.append(cache, feed, padId(), step);
        cache = replace(cache, detach(out.cache(), mgr));
        feed = take(rows, TokenSampler.choose(lastLogits(out.hidden()), p, rng, live(rows)), req, eos);
      }
    }
    List<Generation> gens = new ArrayList<>();
    rows.forEach(r -> gens.add(r.generation()));
    return new Decoded(replace(cache, cache.compact(mgr)), gens);
  }

  /**
   * {@link #decode} in plain Java ({@link RowDecoder}: an engine step of a few rows is mostly per-call overhead and
   * skinny products), from the prompts' cache {@code prompts} (row c * k + j continues prompt c, reading its keys and
   * values once); null when the model has no such decoder. Tokens are drawn on the host, as the engine draws them; a
   * kept cache is the prompts' (shared) and the rows' own slots, handed back to the engine.
   */
  private Decoded decodeInJava(KvCache prompts, List<Row> rows, NDArray logits, SampleRequest req, NDManager mgr) {
    RowDecoder decoder = decoding == Decoding.JAVA ? model.rowDecoder() : null;
    if (decoder == null) {
      return null;
    }
    SamplingParams p = req.params();
    SampleRequest.PositionRule rule = req.positionRule();
    int k = req.k();
    int eos = tokenizer.eosId().orElse(-1);
    int vocab = model.config().vocabSize();
    int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads(); // as the decoder's steps
    SplittableRandom[] rng = rows.stream().map(r -> r.rng).toArray(SplittableRandom[]::new);
    List<RowDecoder.State> prefixes = decoder.fromCache(prompts);
    List<RowDecoder.State> states = new ArrayList<>();
    int[] at = new int[rows.size()]; // each row's next rotary position, unless the rule places it
    for (int r = 0; r < rows.size(); r++) {
      states.add(decoder.fork(prefixes.get(r / k)));
      at[r] = (int) prompts.nextPosition()[r / k];
    }
    float[] next = new float[rows.size() * vocab]; // each step's logits: one buffer for all steps
    int[] lastPosition = positionLimits(req);
    List<int[]> feed = take(rows, TokenSampler.choose(logits, p, rng, live(rows)), req, eos);
    while (rows.stream().anyMatch(r -> !r.done)) {
      stopIfInterrupted();
      List<Integer> fed = new ArrayList<>(); // the rows that feed a token this step: the live ones
      List<Integer> placed = new ArrayList<>(); // their positions
      for (int r = 0; r < rows.size(); r++) {
        if (feed.get(r).length > 0) {
          int position = rule == null ? at[r] : (int) rule.position(r / k, rows.get(r).ids());
          if (position >= lastPosition[r]) {
            rows.get(r).endAtPositionLimit();
          } else {
            fed.add(r);
            placed.add(position);
          }
        }
      }
      if (fed.isEmpty()) {
        break;
      }
      int[] tokens = new int[fed.size()];
      int[] positions = new int[fed.size()];
      for (int i = 0; i < tokens.length; i++) {
        int r = fed.get(i);
        tokens[i] = feed.get(r)[0];
        positions[i] = placed.get(i);
        at[r] = positions[i] + 1;
      }
      decoder.step(fed.stream().map(states::get).toList(), tokens, positions, next); // [fed, V]
      // the fed rows are the live ones
      feed = take(rows, TokenSampler.choose(next, vocab, p, rng, live(rows), threads), req, eos);
    }
    List<Generation> gens = new ArrayList<>();
    rows.forEach(r -> gens.add(r.generation()));
    long[] nextPosition = java.util.Arrays.stream(at).asLongStream().toArray();
    return new Decoded(req.keepCache() ? decoder.toCache(states, prompts, k, nextPosition, mgr) : null, gens);
  }

  /** A server shutting down interrupts its model thread: each decode step checks, so the model can be closed. */
  private static void stopIfInterrupted() {
    if (Thread.currentThread().isInterrupted()) {
      throw new java.util.concurrent.CancellationException("generation interrupted");
    }
  }

  private static boolean[] live(List<Row> rows) {
    boolean[] live = new boolean[rows.size()];
    for (int r = 0; r < live.length; r++) {
      live[r] = !rows.get(r).done;
    }
    return live;
  }

  /**
   * Each live row takes its pick, or the next token the request forces on it; returns what each row feeds the model
   * next (nothing once it has ended).
   */
  private static List<int[]> take(List<Row> rows, TokenSampler.Picks picks, SampleRequest req, int eos) {
    List<int[]> feed = new ArrayList<>(rows.size());
    for (int r = 0; r < rows.size(); r++) {
      Row row = rows.get(r);
      if (row.done) {
        feed.add(new int[0]);
        continue;
      }
      if (row.forced.isEmpty() && req.forcing() != null) {
        for (int id : req.forcing().next(r / req.k(), row.text)) {
          row.forced.add(id);
        }
      }
      boolean forced = !row.forced.isEmpty();
      feed.add(row.step(forced ? row.forced.poll() : picks.ids()[r], forced ? 0f : picks.logp()[r], picks, r,
          req.params(), eos));
    }
    return feed;
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
    Map<String, Float> m = new LinkedHashMap<>();
    for (int id : TokenSampler.topIds(logp, n)) {
      m.put(tokenizer.tokenText(id), logp[id]);
    }
    return m;
  }

  int padId() {
    return Math.max(0, tokenizer.padId());
  }

  /**
   * Moves a cache's arrays, and those of a prefix it shares, to {@code target} so they outlive the step manager that
   * made them.
   */
  static KvCache detach(KvCache c, NDManager target) {
    if (c.prefix() != null) {
      detach(c.prefix().cache(), target);
    }
    for (NDArray a : c.keys()) {
      if (a != null) {
        a.attach(target);
      }
    }
    for (NDArray a : c.values()) {
      if (a != null) {
        a.attach(target);
      }
    }
    if (c.valid() != null) {
      c.valid().attach(target);
    }
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

  /**
   * Frees a cache's own arrays; not those of a prefix it shares, which its forks share too ({@link #closeAll} frees
   * both).
   */
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

  /** Frees a cache's arrays and those of the prefix it shares: for the cache's last owner. */
  public static void closeAll(KvCache c) {
    close(c);
    if (c.prefix() != null) {
      close(c.prefix().cache());
    }
  }
}
