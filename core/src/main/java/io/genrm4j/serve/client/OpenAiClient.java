package io.genrm4j.serve.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.Jsonl;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A client of OpenAI-compatible completion servers (ours, vLLM, SGLang, ...) on the JDK HttpClient. At most
 * {@code maxConcurrency} requests are in flight. Retries (exponential backoff with jitter, or the server's
 * Retry-After) happen only where they cannot multiply work on the server: a POST is retried after 429, after 503 with
 * Retry-After, and when the connection was refused before anything was sent; never after a timeout or another 5xx,
 * when the server may still be working on it. A GET is also retried after other 5xx and I/O errors. Other 4xx fail at
 * once with the server's message.
 */
public final class OpenAiClient {
  /** Sampling settings of a completion request; null fields are left to the server's default. */
  public record Params(int maxTokens, double temperature, Double topP, Integer topK, int n, List<String> stop,
      Long seed, Integer logprobs, boolean echo) {
    public static Params greedy(int maxTokens) {
      return new Params(maxTokens, 0, null, null, 1, List.of(), null, null, false);
    }

    public static Params sample(int maxTokens, double temperature, int n, Long seed) {
      return new Params(maxTokens, temperature, null, null, n, List.of(), seed, null, false);
    }

    public Params withStop(List<String> s) {
      return new Params(maxTokens, temperature, topP, topK, n, s, seed, logprobs, echo);
    }

    public Params withLogprobs(Integer k) {
      return new Params(maxTokens, temperature, topP, topK, n, stop, seed, k, echo);
    }

    public Params withEcho(boolean e) {
      return new Params(maxTokens, temperature, topP, topK, n, stop, seed, logprobs, e);
    }

    public Params withTopP(Double p) {
      return new Params(maxTokens, temperature, p, topK, n, stop, seed, logprobs, echo);
    }

    public Params withTopK(Integer k) {
      return new Params(maxTokens, temperature, topP, k, n, stop, seed, logprobs, echo);
    }
  }

  /** One choice of a completion response; {@code logprobs} is the raw OpenAI logprobs object or null. */
  public record Choice(int index, String text, String finishReason, JsonNode logprobs) {}

  /**
   * The labels read for p(Yes). {@code yes}/{@code no} are the exact label strings whose ids are requested through
   * /v1/score or logprob_token_ids; the variants are summed in the top-k fallback.
   */
  public record Labels(String yes, String no, List<String> yesVariants, List<String> noVariants) {
    public static Labels standard() {
      return new Labels(" Yes", " No",
          List.of(" Yes", "Yes", " yes", "yes", " YES", "YES", "\u0120Yes", "\u0120yes", "\u2581Yes", "\u2581yes"),
          List.of(" No", "No", " no", "no", " NO", "NO", "\u0120No", "\u0120no", "\u2581No", "\u2581no"));
    }
  }

  private final URI base;
  private final String apiKey;
  private final Duration timeout;
  private final Semaphore slots;
  private final int retries;
  private final HttpClient http;
  private volatile String model;
  private Labels labels = Labels.standard();
  private int topK = 20;
  private boolean tryExact = true;
  private volatile int[] labelIds; // resolved or configured [yes, no]; null until known
  private volatile boolean tokenizeUnavailable;
  private volatile ExactRoute exactRoute; // null until probed
  private volatile String exactNote = ""; // why an exact route was passed over, for the one-line error

  public OpenAiClient(String baseUrl, String apiKey, Duration timeout, int maxConcurrency, int retries) {
    String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    if (b.endsWith("/v1")) {
      b = b.substring(0, b.length() - 3);
    }
    this.base = URI.create(b);
    this.apiKey = apiKey;
    this.timeout = timeout;
    this.slots = new Semaphore(Math.max(1, maxConcurrency));
    this.retries = Math.max(0, retries);
    this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
  }

  /** The model name sent with each request (default: the first of /v1/models). */
  public OpenAiClient withModel(String name) {
    this.model = name;
    return this;
  }

  /** Label strings for p(Yes) (default " Yes"/" No" and their common variants). */
  public OpenAiClient withLabels(Labels l) {
    this.labels = l;
    this.labelIds = null;
    return this;
  }

  /** Label token ids to request, when the server has no /tokenize. */
  public OpenAiClient withLabelIds(int yesId, int noId) {
    this.labelIds = new int[] {yesId, noId};
    return this;
  }

  /** How many alternatives the top-k fallback asks for (servers cap this: 5 on OpenAI, 20 on many others). */
  public OpenAiClient withTopK(int k) {
    this.topK = k;
    return this;
  }

  /** Whether to read p(Yes) exactly when the server offers it: SGLang's /v1/score or vLLM's logprob_token_ids. */
  public OpenAiClient withExact(boolean on) {
    this.tryExact = on;
    return this;
  }

  // ---- completions ----

  /** The choices of one prompt (n of them). */
  public List<Choice> complete(String prompt, Params p) {
    return completeAll(List.of(prompt), p).get(0);
  }

  /** One request for many prompts; result.get(i) holds prompt i's n choices. */
  public List<List<Choice>> completeAll(List<String> prompts, Params p) {
    ObjectNode body = body(prompts, p);
    JsonNode r = post("/v1/completions", body);
    return choices(r, prompts.size(), p.n());
  }

  private ObjectNode body(List<String> prompts, Params p) {
    ObjectNode b = Jsonl.MAPPER.createObjectNode();
    b.put("model", model());
    if (prompts.size() == 1) {
      b.put("prompt", prompts.get(0));
    } else {
      ArrayNode a = b.putArray("prompt");
      prompts.forEach(a::add);
    }
    b.put("max_tokens", p.maxTokens());
    b.put("temperature", p.temperature());
    if (p.topP() != null) {
      b.put("top_p", p.topP());
    }
    if (p.topK() != null) {
      b.put("top_k", p.topK());
    }
    b.put("n", p.n());
    if (p.stop() != null && !p.stop().isEmpty()) {
      ArrayNode s = b.putArray("stop");
      p.stop().forEach(s::add);
    }
    if (p.seed() != null) {
      b.put("seed", p.seed());
    }
    if (p.logprobs() != null) {
      b.put("logprobs", p.logprobs());
    }
    if (p.echo()) {
      b.put("echo", true);
    }
    return b;
  }

  private static List<List<Choice>> choices(JsonNode r, int prompts, int n) {
    JsonNode cs = r.path("choices");
    if (!cs.isArray() || cs.size() != prompts * n) {
      throw new OpenAiException(200, "expected " + prompts * n + " choices, got " + cs.size(), null);
    }
    Choice[] all = new Choice[cs.size()];
    for (JsonNode c : cs) {
      int i = c.path("index").asInt(-1);
      if (i < 0 || i >= all.length || all[i] != null) {
        throw new OpenAiException(200, "bad choice index " + i, null);
      }
      JsonNode lp = c.get("logprobs");
      all[i] = new Choice(i, c.path("text").asText(), c.path("finish_reason").asText(null),
          lp == null || lp.isNull() ? null : lp);
    }
    List<List<Choice>> out = new ArrayList<>();
    for (int q = 0; q < prompts; q++) {
      out.add(List.of(all).subList(q * n, q * n + n));
    }
    return out;
  }

  /** The model to name in requests: the configured one, else the server's first model. */
  public String model() {
    if (model == null) {
      JsonNode data = get("/v1/models").path("data");
      model = data.isArray() && !data.isEmpty() ? data.get(0).path("id").asText("default") : "default";
    }
    return model;
  }

  // ---- p(Yes) ----

  /**
   * Where the exact label probabilities come from. Decided once per client and remembered: the first exact read
   * probes SGLang's POST /v1/score with a one-item request (a 2xx with a [p(yes), p(no)] row: SCORE; a 400, 404, 405
   * or 422: not offered, as on vLLM, whose /v1/score is a cross-encoder route or absent); without it, vLLM's
   * logprob_token_ids is used until a response comes back without both label ids (NONE: the top-k fallback).
   */
  private enum ExactRoute { SCORE, LOGPROB_TOKEN_IDS, NONE }

  /** Items per /v1/score request: small enough for any server's per-request limit (genrm serve's default is 64). */
  private static final int SCORE_ITEMS_PER_REQUEST = 16;

  /**
   * p(Yes) of the next token after {@code prompt}. Exactly when the server offers it (SGLang's /v1/score, else
   * vLLM's logprob_token_ids, with the label ids from /tokenize or {@link #withLabelIds}); otherwise the top-k
   * fallback (logprobs = topK, renormalised over the Yes/No variants). Throws {@link PYesUnavailableException} when
   * neither label is visible, never a default.
   */
  public PYes pYes(String prompt) {
    return pYesAll(List.of(prompt)).get(0);
  }

  /** {@link #pYes} of each prompt; through /v1/score, several prompts share one request. */
  public List<PYes> pYesAll(List<String> prompts) {
    int[] ids = tryExact ? labelIds() : null;
    List<PYes> out = new ArrayList<>();
    if (ids != null && exactRoute(ids) == ExactRoute.SCORE) {
      for (int i = 0; i < prompts.size(); i += SCORE_ITEMS_PER_REQUEST) {
        List<String> chunk = prompts.subList(i, Math.min(prompts.size(), i + SCORE_ITEMS_PER_REQUEST));
        for (double[] row : scoreRoute(chunk, ids)) {
          out.add(exact(row[0], row[1]));
        }
      }
      return out;
    }
    for (String prompt : prompts) {
      PYes p = ids != null && exactRoute == ExactRoute.LOGPROB_TOKEN_IDS ? viaLogprobTokenIds(prompt, ids) : null;
      out.add(p != null ? p : viaTopK(prompt));
    }
    return out;
  }

  /** The exact route, probing /v1/score on first use (see {@link ExactRoute}); races only repeat the probe. */
  private ExactRoute exactRoute(int[] ids) {
    ExactRoute r = exactRoute;
    if (r != null) {
      return r;
    }
    try {
      scoreRoute(List.of(labels.yes()), ids);
      r = ExactRoute.SCORE;
    } catch (OpenAiException e) {
      int s = e.status();
      // 200: a /v1/score of another shape; 4xx: absent or not this request shape
      if (s != 200 && s != 400 && s != 404 && s != 405 && s != 422) {
        throw e; // auth, overload, server faults: not an answer about the route
      }
      exactNote = "/v1/score not offered (" + e.getMessage().replace('\n', ' ') + ")";
      r = ExactRoute.LOGPROB_TOKEN_IDS;
    }
    exactRoute = r;
    return r;
  }

  /**
   * SGLang's /v1/score, in the request and response shape of sglang's ScoringRequest/ScoringResponse
   * (python/sglang/srt/entrypoints/openai/protocol.py): {@code {"query", "items", "label_token_ids",
   * "apply_softmax", "item_first"}} -> {@code {"scores": [[p per label] per item]}}, each item scored after
   * query + item. The prompts go in "items" under an empty "query", as sglang's own score_prompts sends whole
   * prompts; apply_softmax false returns the raw probabilities, so p(Yes) + p(No) is the labels' true mass. (A
   * server started with --enable-mis joins query and items with a delimiter token instead, which changes the
   * prompt; that mode is opt-in and not for this use.)
   */
  private double[][] scoreRoute(List<String> prompts, int[] ids) {
    ObjectNode b = Jsonl.MAPPER.createObjectNode();
    b.put("model", model());
    b.put("query", "");
    ArrayNode items = b.putArray("items");
    prompts.forEach(items::add);
    b.putArray("label_token_ids").add(ids[0]).add(ids[1]);
    b.put("apply_softmax", false);
    b.put("item_first", false);
    JsonNode scores = post("/v1/score", b).path("scores");
    if (!scores.isArray() || scores.size() != prompts.size()) {
      throw new OpenAiException(200, "/v1/score answered " + Jsonl.toJson(scores) + ", not " + prompts.size()
          + " rows of [p(yes), p(no)]", null);
    }
    double[][] out = new double[prompts.size()][];
    for (int i = 0; i < out.length; i++) {
      JsonNode row = scores.get(i);
      if (!row.isArray() || row.size() != 2 || !row.get(0).isNumber() || !row.get(1).isNumber()) {
        throw new OpenAiException(200, "/v1/score answered the row " + Jsonl.toJson(row)
            + ", not [p(yes), p(no)]", null);
      }
      out[i] = new double[] {row.get(0).asDouble(), row.get(1).asDouble()};
    }
    return out;
  }

  /** vLLM's logprob_token_ids; null (and the route remembered as NONE) when the server ignored it. */
  private PYes viaLogprobTokenIds(String prompt, int[] ids) {
    ObjectNode b = body(List.of(prompt), Params.greedy(1).withLogprobs(2));
    b.putArray("logprob_token_ids").add(ids[0]).add(ids[1]);
    Map<String, Double> top = firstTop(post("/v1/completions", b));
    Double y = top.get(labels.yes());
    Double n = top.get(labels.no());
    if (y == null || n == null) {
      exactNote += (exactNote.isEmpty() ? "" : ", ") + "logprob_token_ids ignored";
      exactRoute = ExactRoute.NONE;
      return null;
    }
    return exact(Math.exp(y), Math.exp(n));
  }

  private PYes exact(double py, double pn) {
    if (!(py + pn > 0)) {
      throw new PYesUnavailableException("the server gives p(" + labels.yes() + ") = " + py + " and p("
          + labels.no() + ") = " + pn + " after the prompt; p(Yes) is unknown");
    }
    Map<String, Double> seen = new LinkedHashMap<>();
    seen.put(labels.yes(), Math.log(py));
    seen.put(labels.no(), Math.log(pn));
    return new PYes(py, pn, py / (py + pn), PYes.EXACT, null, seen);
  }

  /** The top-k fallback: logprobs = topK, renormalised over the Yes/No variants found among them. */
  private PYes viaTopK(String prompt) {
    ObjectNode b = body(List.of(prompt), Params.greedy(1).withLogprobs(topK));
    Map<String, Double> top = firstTop(post("/v1/completions", b));
    Map<String, Double> seen = new LinkedHashMap<>();
    double py = 0;
    double pn = 0;
    for (String v : labels.yesVariants()) {
      Double x = top.get(v);
      if (x != null) {
        py += Math.exp(x);
        seen.put(v, x);
      }
    }
    for (String v : labels.noVariants()) {
      Double x = top.get(v);
      if (x != null) {
        pn += Math.exp(x);
        seen.put(v, x);
      }
    }
    if (seen.isEmpty()) {
      String exactWhy = !tryExact ? "exact routes off" : labelIds == null ? "label ids unknown (no /tokenize; set"
          + " withLabelIds)" : exactNote;
      throw new PYesUnavailableException("p(Yes) unknown from " + base + ": neither a Yes nor a No label is among"
          + " the top-" + topK + " log-probs after the prompt (seen: " + Jsonl.toJson(Jsonl.MAPPER.valueToTree(
              top.keySet())) + "), and no exact route: " + exactWhy);
    }
    String missing = py == 0 ? "yes" : pn == 0 ? "no" : null;
    return new PYes(py, pn, py / (py + pn), PYes.TOPK_FALLBACK, missing, seen);
  }

  private static Map<String, Double> firstTop(JsonNode r) {
    JsonNode top = r.path("choices").path(0).path("logprobs").path("top_logprobs").path(0);
    Map<String, Double> m = new LinkedHashMap<>();
    if (top.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = top.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isNumber()) {
          m.put(e.getKey(), e.getValue().asDouble());
        }
      }
    }
    return m;
  }

  /** [yes, no] token ids: configured, or resolved once through /tokenize; null when unknown. */
  private int[] labelIds() {
    if (labelIds != null || tokenizeUnavailable) {
      return labelIds;
    }
    try {
      int y = singleToken(labels.yes());
      int n = singleToken(labels.no());
      labelIds = new int[] {y, n};
    } catch (OpenAiException e) {
      if (e instanceof LabelNotSingleTokenException) {
        throw e;
      }
      if (e.status() == 404 || e.status() == 405) {
        tokenizeUnavailable = true; // no /tokenize: the top-k fallback will be used (and flagged)
        return null;
      }
      throw e;
    }
    return labelIds;
  }

  /** A label that is not exactly one token cannot be read as one next-token probability. */
  public static final class LabelNotSingleTokenException extends OpenAiException {
    LabelNotSingleTokenException(String msg) {
      super(0, msg, null);
    }
  }

  private int singleToken(String label) {
    ObjectNode b = Jsonl.MAPPER.createObjectNode();
    b.put("model", model());
    b.put("prompt", label);
    b.put("add_special_tokens", false);
    JsonNode t = post("/tokenize", b).path("tokens");
    if (!t.isArray() || t.size() != 1) {
      throw new LabelNotSingleTokenException("label '" + label + "' is " + t.size()
          + " tokens on this server's tokenizer, not one: p(label) is not a next-token probability");
    }
    return t.get(0).asInt();
  }

  // ---- HTTP ----

  public JsonNode get(String path) {
    return send(() -> request(path).GET().build(), true);
  }

  public JsonNode post(String path, JsonNode body) {
    byte[] bytes = Jsonl.toJson(body).getBytes(StandardCharsets.UTF_8);
    return send(() -> request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), false);
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
    if (apiKey != null && !apiKey.isEmpty()) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    return b;
  }

  /** Sends with the class's retry policy; {@code idempotent} requests are also retried after 5xx and I/O errors. */
  private JsonNode send(java.util.function.Supplier<HttpRequest> req, boolean idempotent) {
    OpenAiException last = null;
    long retryAfterMs = 0;
    int attempt = 0;
    for (; attempt <= retries; attempt++) {
      if (attempt > 0) {
        backoff(attempt, retryAfterMs);
      }
      try {
        slots.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OpenAiException(0, "interrupted", e);
      }
      HttpResponse<String> r;
      try {
        r = http.send(req.get(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (ConnectException | HttpConnectTimeoutException e) { // nothing was sent: safe to retry
        last = new OpenAiException(0, "cannot connect to " + base + ": " + e, e);
        retryAfterMs = 0;
        continue;
      } catch (IOException e) { // maybe sent (a timeout, a reset): the server may still be working on it
        last = new OpenAiException(0, "I/O error calling " + base + ": " + e, e);
        if (!idempotent) {
          throw last;
        }
        retryAfterMs = 0;
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OpenAiException(0, "interrupted", e);
      } finally {
        slots.release();
      }
      int s = r.statusCode();
      if (s >= 200 && s < 300) {
        try {
          return Jsonl.MAPPER.readTree(r.body());
        } catch (IOException e) {
          throw new OpenAiException(s, "malformed JSON from server: " + e.getMessage(), e);
        }
      }
      last = new OpenAiException(s, "HTTP " + s + " from " + req.get().uri().getPath() + ": " + message(r.body()), null);
      retryAfterMs = retryAfterMs(r);
      boolean safe = s == 429 || s == 503 && retryAfterMs >= 0 || idempotent && s >= 500;
      if (!safe) {
        throw last;
      }
    }
    throw new OpenAiException(last.status(), last.getMessage() + " (after " + attempt + " attempts)", last.getCause());
  }

  /** The server's Retry-After in ms (seconds form, at most a minute); -1 when absent or a date. */
  private static long retryAfterMs(HttpResponse<?> r) {
    String v = r.headers().firstValue("Retry-After").orElse(null);
    try {
      return v == null ? -1 : Math.min(60_000, Math.max(0, Long.parseLong(v.trim()) * 1000));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String message(String body) {
    try {
      JsonNode n = Jsonl.MAPPER.readTree(body);
      JsonNode m = n.path("error").path("message");
      if (m.isTextual()) {
        return m.asText();
      }
    } catch (IOException | RuntimeException ignored) {
      // not JSON: show it raw
    }
    return body.length() > 300 ? body.substring(0, 300) + "..." : body;
  }

  private static void backoff(int attempt, long retryAfterMs) {
    long ms = Math.min(10_000, 200L << Math.min(10, attempt - 1));
    ms += ThreadLocalRandom.current().nextLong(ms / 4 + 1);
    ms = Math.max(ms, retryAfterMs);
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OpenAiException(0, "interrupted", e);
    }
  }
}
