package io.genrm4j.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.infer.TokenSampler;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.util.Jsonl;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * OpenAI-compatible legacy completions over {@link Generator}. Log-probs are the model's own (temperature 1),
 * recomputed teacher-forced over prompt + completion, so a choice's log-probs do not depend on how it was batched.
 * Greedy requests with the same max_tokens, stop strings and ignore_eos are batched together; sampled requests run as
 * one batch of their own (prompts x n), each row drawing from stream (seed, prompt index, sample index) so a seeded
 * request gives the same text whatever else the server is doing. A request's work (prompts x n x max_tokens) and its
 * log-prob entries are bounded before anything is queued.
 */
final class Completions {
  /** The fields this endpoint reads. */
  static final Set<String> FIELDS = Set.of("model", "prompt", "max_tokens", "temperature", "top_p", "top_k", "n",
      "stop", "seed", "logprobs", "echo", "ignore_eos", "logprob_token_ids", "stream", "user");

  /** A parsed, validated request. */
  record Request(List<String> prompts, List<int[]> ids, SamplingParams params, int n, Integer logprobs,
      boolean echo, int[] logprobTokenIds) {
    int rows() {
      return params.temperature() <= 0 ? prompts.size() : prompts.size() * n;
    }

    /**
     * Batch key: greedy requests batch when everything that changes a greedy decode is equal (top_p and top_k never
     * drop the most likely token, so they do not); sampled ones never batch.
     */
    Object batchKey() {
      return params.temperature() <= 0 ? new GreedyKey(params.maxTokens(), params.stop(), params.stopAtEos()) : null;
    }
  }

  /** What a batch of greedy requests shares: the batch runs with the first request's {@link SamplingParams}. */
  record GreedyKey(int maxTokens, List<String> stop, boolean stopAtEos) {}

  /** Choices and token counts of one request. */
  record Result(ArrayNode choices, int promptTokens, int completionTokens) {}

  private final LlamaModel model;
  private final Generator generator;
  private final Tokenizer tokenizer;
  private final ServeLimits limits;
  private final boolean logprobTokenIds;

  Completions(LlamaModel model, Generator generator, ServeLimits limits, boolean logprobTokenIds) {
    this.model = model;
    this.generator = generator;
    this.tokenizer = generator.tokenizer();
    this.limits = limits;
    this.logprobTokenIds = logprobTokenIds;
  }

  Request parse(JsonNode body) {
    refuseUnsupported(body);
    if (Req.boolField(body, "stream", false)) {
      throw ApiError.badRequest("stream=true is not supported");
    }
    JsonNode p = body.get("prompt");
    List<String> prompts = new ArrayList<>();
    if (p == null || p.isNull()) {
      throw ApiError.badRequest("'prompt' is required (a string or a list of strings)");
    } else if (p.isTextual()) {
      prompts.add(p.asText());
    } else if (p.isArray()) {
      if (p.isEmpty()) {
        throw ApiError.badRequest("'prompt' must not be an empty list");
      }
      for (JsonNode e : p) {
        if (!e.isTextual()) {
          throw ApiError.badRequest("'prompt' must be a string or a list of strings (token-id prompts are not supported)");
        }
        prompts.add(e.asText());
      }
    } else {
      throw ApiError.badRequest("'prompt' must be a string or a list of strings");
    }
    if (prompts.size() > limits.maxPrompts()) {
      throw ApiError.badRequest("at most " + limits.maxPrompts() + " prompts per request");
    }
    int maxTokens = Req.intField(body, "max_tokens", 16, 0, limits.maxTokens());
    double temperature = Req.numField(body, "temperature", 1.0, 0, 10);
    double topP = Req.numField(body, "top_p", 1.0, 0, 1);
    if (topP <= 0) {
      throw ApiError.badRequest("'top_p' must be in (0, 1]");
    }
    int topK = Req.intField(body, "top_k", -1, -1, Integer.MAX_VALUE);
    int n = Req.intField(body, "n", 1, 1, limits.maxN());
    List<String> stop = Req.stringOrList(body, "stop", 16);
    long seed = body.hasNonNull("seed") ? Req.longField(body, "seed") : ThreadLocalRandom.current().nextLong();
    Integer logprobs = body.hasNonNull("logprobs") ? Req.intField(body, "logprobs", 0, 0, limits.maxLogprobs()) : null;
    boolean echo = Req.boolField(body, "echo", false);
    boolean ignoreEos = Req.boolField(body, "ignore_eos", false); // vLLM extension
    int[] extra = new int[0];
    if (body.hasNonNull("logprob_token_ids") && logprobTokenIds) {
      extra = Req.tokenIds(body, "logprob_token_ids", 64, model.config().vocabSize());
      if (extra.length > 0 && logprobs == null) {
        throw ApiError.badRequest("'logprob_token_ids' needs 'logprobs' to be set");
      }
      if (extra.length > 0 && maxTokens == 0) {
        throw ApiError.badRequest("'logprob_token_ids' applies to generated positions; max_tokens is 0");
      }
    }
    int maxPos = model.config().maxPositionEmbeddings();
    List<int[]> ids = new ArrayList<>();
    for (String s : prompts) {
      int[] t = generator.promptIds(s); // UserException (unknown character) -> 400
      if (t.length == 0) {
        throw ApiError.badRequest("empty prompt: this tokenizer has no BOS token to start from");
      }
      if (t.length + maxTokens > maxPos) {
        throw ApiError.badRequest("this model's maximum context length is " + maxPos + " tokens; the prompt has "
            + t.length + " and max_tokens is " + maxTokens);
      }
      ids.add(t);
    }
    checkBudget(ids, n, maxTokens, logprobs, echo, extra.length, limits);
    SamplingParams params = new SamplingParams(maxTokens, temperature, topP, topK <= 0 ? 0 : topK, stop,
        temperature <= 0 ? 0 : seed, !ignoreEos, 0);
    return new Request(prompts, ids, params, n, logprobs, echo, extra);
  }

  /**
   * OpenAI fields this server does not implement are refused unless they hold their neutral value (a client that
   * sets a penalty must not silently get unpenalised text); a field no API has is refused as a likely typo.
   */
  static void refuseUnsupported(JsonNode body) {
    for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String name = f.getKey();
      JsonNode v = f.getValue();
      if (FIELDS.contains(name) || v.isNull()) {
        continue;
      }
      boolean neutral = switch (name) {
        case "best_of" -> v.isIntegralNumber() && (v.asInt() == 1 || v.asInt() == body.path("n").asInt(1));
        case "suffix" -> v.isTextual() && v.asText().isEmpty();
        case "presence_penalty", "frequency_penalty" -> v.isNumber() && v.asDouble() == 0;
        case "repetition_penalty" -> v.isNumber() && v.asDouble() == 1;
        case "logit_bias" -> v.isObject() && v.isEmpty();
        case "min_tokens" -> v.isIntegralNumber() && v.asInt() == 0;
        default -> throw ApiError.badRequest("unknown field '" + name + "'; /v1/completions reads "
            + String.join(", ", new TreeSet<>(FIELDS)));
      };
      if (!neutral) {
        throw ApiError.badRequest("'" + name + "' is not supported by this server (got " + v + "); leave it out");
      }
    }
  }

  /** Refuses, before any work, a request whose generated tokens or log-prob entries exceed the per-request limits. */
  static void checkBudget(List<int[]> ids, int n, int maxTokens, Integer logprobs, boolean echo, int extraIds,
      ServeLimits limits) {
    long tokens = (long) ids.size() * n * maxTokens;
    if (tokens > limits.maxRequestTokens()) {
      throw new ApiError(400, "limit_exceeded", "this request asks for up to " + tokens + " generated tokens ("
          + ids.size() + " prompts x n " + n + " x max_tokens " + maxTokens + "), more than the limit of "
          + limits.maxRequestTokens() + " per request; lower n, max_tokens or the number of prompts");
    }
    if (logprobs == null) {
      return;
    }
    long reported = 0; // tokens with a log-prob entry, over every choice
    for (int[] p : ids) {
      reported += (long) n * (maxTokens + (echo ? p.length : 0));
    }
    long entries = reported * (logprobs + 1L + extraIds);
    if (entries > limits.maxLogprobEntries()) {
      throw new ApiError(400, "limit_exceeded", "this response would hold up to " + entries + " logprob entries ("
          + reported + " tokens x " + (logprobs + 1L + extraIds) + " alternatives), more than the limit of "
          + limits.maxLogprobEntries() + "; lower logprobs, n, max_tokens or drop echo");
    }
  }

  /** Runs a batch (model thread). */
  List<Result> run(Object key, List<Request> reqs) {
    List<List<List<Generation>>> gens = new ArrayList<>();
    if (key != null) { // greedy: one decode over every prompt of every request
      List<int[]> all = new ArrayList<>();
      reqs.forEach(r -> all.addAll(r.ids()));
      List<List<Generation>> out = generator.sampleShared(all, 1, reqs.get(0).params());
      int at = 0;
      for (Request r : reqs) {
        List<List<Generation>> mine = new ArrayList<>();
        for (int i = 0; i < r.ids().size(); i++) {
          Generation g = out.get(at++).get(0);
          mine.add(java.util.Collections.nCopies(r.n(), g));
        }
        gens.add(mine);
      }
    } else {
      for (Request r : reqs) {
        gens.add(generator.sampleShared(r.ids(), r.n(), r.params()));
      }
    }
    List<Result> results = new ArrayList<>();
    for (int q = 0; q < reqs.size(); q++) {
      Request r = reqs.get(q);
      ArrayNode choices = Jsonl.MAPPER.createArrayNode();
      int promptTokens = 0;
      int completionTokens = 0;
      for (int i = 0; i < r.prompts().size(); i++) {
        promptTokens += r.ids().get(i).length;
        for (int j = 0; j < r.n(); j++) {
          Generation g = gens.get(q).get(i).get(j);
          completionTokens += g.tokens().length;
          ObjectNode c = choices.addObject();
          c.put("index", i * r.n() + j);
          c.put("text", r.echo() ? r.prompts().get(i) + g.text() : g.text());
          if (r.logprobs() != null) {
            c.set("logprobs", logprobs(r.ids().get(i), g, r.echo(), r.logprobs(), r.logprobTokenIds()));
          } else {
            c.putNull("logprobs");
          }
          c.put("finish_reason", g.finishReason());
        }
      }
      results.add(new Result(choices, promptTokens, completionTokens));
    }
    return results;
  }

  /** A token as text: its decoded form, or its vocabulary string for special tokens (which decode to ""). */
  String tokenString(int id) {
    String s = tokenizer.decode(new int[] {id});
    return s.isEmpty() ? tokenizer.tokenText(id) : s;
  }

  /**
   * The OpenAI legacy logprobs object over the echoed prompt (when echo) and the generated tokens: one teacher-forced
   * forward over prompt + completion. With {@code extra} ids (vLLM's logprob_token_ids) the alternatives at
   * generated positions are the sampled token plus those ids instead of the natural top-k.
   */
  ObjectNode logprobs(int[] prompt, Generation g, boolean echo, int k, int[] extra) {
    int[] full = Arrays.copyOf(prompt, prompt.length + g.tokens().length);
    System.arraycopy(g.tokens(), 0, full, prompt.length, g.tokens().length);
    int from = echo ? 0 : prompt.length; // first token index to report
    ObjectNode lp = Jsonl.MAPPER.createObjectNode();
    ArrayNode tokens = lp.putArray("tokens");
    ArrayNode tokenLogprobs = lp.putArray("token_logprobs");
    ArrayNode tops = lp.putArray("top_logprobs");
    ArrayNode offsets = lp.putArray("text_offset");
    int offset = 0;
    if (from == 0) { // the first token has no context: null, as vLLM and OpenAI legacy report it
      tokens.add(tokenString(full[0]));
      tokenLogprobs.addNull();
      tops.addNull();
      offsets.add(0);
      offset += tokenizer.decode(new int[] {full[0]}).length();
      from = 1;
    }
    if (from >= full.length) {
      return lp;
    }
    final int chunk = 32;
    try (NDManager mgr = model.manager().newSubManager()) {
      NDArray hidden = model.append(model.emptyCache(1), List.of(Arrays.copyOf(full, full.length - 1)),
          Math.max(0, tokenizer.padId()), mgr).hidden(); // [1, T-1, H]: position t predicts token t+1
      for (int a = from - 1; a < full.length - 1; a += chunk) {
        int b = Math.min(full.length - 1, a + chunk);
        float[] logits = model.logits(hidden.get(":, " + a + ":" + b + ", :")).toFloatArray();
        int v = logits.length / (b - a);
        for (int t = a; t < b; t++) {
          float[] logp = TokenSampler.logSoftmax(logits, (t - a) * v, v);
          int tok = full[t + 1];
          boolean generated = t + 1 >= prompt.length;
          tokens.add(tokenString(tok));
          tokenLogprobs.add(logp[tok]);
          offsets.add(offset);
          offset += tokenizer.decode(new int[] {tok}).length();
          Map<String, Float> top = new LinkedHashMap<>();
          if (generated && extra.length > 0) {
            top.put(tokenString(tok), logp[tok]);
            for (int id : extra) {
              top.putIfAbsent(tokenString(id), logp[id]);
            }
          } else {
            for (int id : topIds(logp, k)) {
              top.putIfAbsent(tokenString(id), logp[id]);
            }
            top.putIfAbsent(tokenString(tok), logp[tok]);
          }
          ObjectNode o = tops.addObject();
          top.forEach(o::put);
        }
      }
    }
    return lp;
  }

  static int[] topIds(float[] logp, int k) {
    int n = Math.min(k, logp.length);
    int[] best = new int[n];
    float[] val = new float[n];
    int size = 0;
    for (int i = 0; i < logp.length; i++) { // insertion into a small sorted list
      float x = logp[i];
      if (size == n && (n == 0 || x <= val[n - 1])) {
        continue;
      }
      int at = size < n ? size++ : n - 1;
      while (at > 0 && val[at - 1] < x) {
        val[at] = val[at - 1];
        best[at] = best[at - 1];
        at--;
      }
      val[at] = x;
      best[at] = i;
    }
    return best;
  }
}
