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
 * A client of OpenAI-compatible completion servers (ours, vLLM, ...) on the JDK HttpClient. At most
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
   * logprob_token_ids; the variants are summed in the top-k fallback.
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

  /** Whether to try vLLM's logprob_token_ids first (default true). */
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
   * p(Yes) of the next token after {@code prompt}. First the exact method (vLLM's {@code logprob_token_ids} with
   * the label ids from /tokenize or {@link #withLabelIds}); when the server does not return both ids, the top-k
   * fallback (logprobs = topK, renormalised over the Yes/No variants). Throws {@link PYesUnavailableException} when
   * neither label is visible, never a default.
   */
  public PYes pYes(String prompt) {
    if (tryExact) {
      int[] ids = labelIds();
      if (ids != null) {
        ObjectNode b = body(List.of(prompt), Params.greedy(1).withLogprobs(2));
        ArrayNode a = b.putArray("logprob_token_ids");
        a.add(ids[0]);
        a.add(ids[1]);
        Map<String, Double> top = firstTop(post("/v1/completions", b));
        Double y = top.get(labels.yes());
        Double n = top.get(labels.no());
        if (y != null && n != null) {
          double py = Math.exp(y);
          double pn = Math.exp(n);
          Map<String, Double> seen = new LinkedHashMap<>();
          seen.put(labels.yes(), y);
          seen.put(labels.no(), n);
          return new PYes(py, pn, py / (py + pn), PYes.EXACT, null, seen);
        }
        // the server ignored logprob_token_ids: fall through, flagged as the fallback
      }
    }
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
      throw new PYesUnavailableException("neither a Yes nor a No label is among the top-" + topK
          + " log-probs after the prompt (seen: " + top.keySet() + "); p(Yes) is unknown");
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
