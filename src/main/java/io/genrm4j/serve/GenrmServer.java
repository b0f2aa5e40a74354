package io.genrm4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Generator;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierScore;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: GenRM verify/rerank, OpenAI-compatible completions, vLLM-style /tokenize, health and Prometheus
 * metrics. Every model call runs on the single {@link ModelWorker} thread. Binds 127.0.0.1 unless told otherwise.
 */
public final class GenrmServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GenrmServer.class);
  static final Set<String> ROUTES = Set.of("/health", "/metrics", "/v1/models", "/v1/completions", "/v1/verify",
      "/v1/rerank", "/tokenize");

  /** Server settings; {@code defaultMode} is a name {@link VerifierKind#parse} accepts. */
  public record Options(String host, int port, String apiKey, String modelName, String defaultMode,
      int defaultVotes, ServeLimits limits, boolean logprobTokenIds) {
    public static Options loopback(int port) {
      return new Options("127.0.0.1", port, null, "genrm", "direct", 8, ServeLimits.defaults(), true);
    }

    public Options withApiKey(String key) {
      return new Options(host, port, key, modelName, defaultMode, defaultVotes, limits, logprobTokenIds);
    }

    public Options withLimits(ServeLimits l) {
      return new Options(host, port, apiKey, modelName, defaultMode, defaultVotes, l, logprobTokenIds);
    }

    public Options withLogprobTokenIds(boolean on) {
      return new Options(host, port, apiKey, modelName, defaultMode, defaultVotes, limits, on);
    }

    public Options withModelName(String name) {
      return new Options(host, port, apiKey, name, defaultMode, defaultVotes, limits, logprobTokenIds);
    }

    public Options withDefaultMode(String mode) {
      return new Options(host, port, apiKey, modelName, mode, defaultVotes, limits, logprobTokenIds);
    }
  }

  private record VerifyRequest(String question, List<String> solutions, VerifierKind kind, int votes) {}

  private record VerifyKey(VerifierKind kind, int votes) {}

  private final LlamaModel model;
  private final Generator generator;
  private final VerifierFactory verifiers;
  private final Options opt;
  private final ModelWorker worker;
  private final Completions completions;
  private final Metrics metrics = new Metrics();
  private final Map<VerifyKey, Verifier> open = new HashMap<>(); // model thread only (and close, after it ended)
  // one instance each: jobs batch together only when they share the runner object and key
  private final ModelWorker.BatchRunner<Completions.Request, Completions.Result> completionRunner;
  private final ModelWorker.BatchRunner<VerifyRequest, List<VerifierScore>> verifyRunner = this::runVerify;
  private final long started = System.currentTimeMillis() / 1000;
  private Javalin app;

  public GenrmServer(LlamaModel model, Generator generator, VerifierFactory verifiers, Options opt) {
    this.model = model;
    this.generator = generator;
    this.verifiers = verifiers;
    this.opt = opt;
    ServeLimits l = opt.limits();
    this.worker = new ModelWorker(l.queueCapacity(), l.maxBatchRows(), l.batchWindowMs());
    this.completions = new Completions(model, generator, l, opt.logprobTokenIds());
    this.completionRunner = completions::run;
    metrics.gauge("genrm_model_queue_depth", worker::queued);
    metrics.gauge("genrm_model_batches_total", Metrics.of(worker.batches));
    metrics.gauge("genrm_model_batched_requests_total", Metrics.of(worker.batchedJobs));
    metrics.gauge("genrm_model_batched_rows_total", Metrics.of(worker.batchedRows));
  }

  public GenrmServer start() {
    ServeLimits l = opt.limits();
    app = Javalin.create(cfg -> {
      cfg.showJavalinBanner = false;
      cfg.startupWatcherEnabled = false;
      cfg.http.maxRequestSize = l.maxBodyBytes();
      cfg.requestLogger.http((ctx, ms) -> metrics.request(route(ctx), ctx.statusCode(), ms / 1000.0));
    });
    app.before(this::guard);
    app.get("/health", ctx -> json(ctx, 200, Jsonl.MAPPER.createObjectNode().put("status", "ok")
        .put("model", opt.modelName()).put("queue", worker.queued())));
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.render()));
    app.get("/v1/models", this::models);
    app.post("/v1/completions", this::completions);
    app.post("/v1/verify", ctx -> verify(ctx, false));
    app.post("/v1/rerank", ctx -> verify(ctx, true));
    app.post("/tokenize", this::tokenize);
    app.exception(ApiError.class, (e, ctx) -> error(ctx, e.status(), e.type(), e.getMessage()));
    app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(),
        e.getStatus() == 413 ? "request_too_large" : "invalid_request_error",
        e.getStatus() == 413 ? "request body exceeds " + l.maxBodyBytes() + " bytes" : e.getMessage()));
    app.exception(Exception.class, (e, ctx) -> {
      LOG.error("unexpected error on {}", ctx.path(), e);
      error(ctx, 500, "internal_error", "internal error: " + e.getClass().getSimpleName());
    });
    app.error(404, ctx -> {
      if (!ctx.res().isCommitted() && !"application/json".equals(ctx.res().getContentType())) {
        error(ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path());
      }
    });
    app.start(opt.host(), opt.port());
    for (Connector c : app.jettyServer().server().getConnectors()) {
      if (c instanceof AbstractConnector ac) {
        ac.setIdleTimeout(l.idleTimeoutMs());
      }
    }
    return this;
  }

  public int port() {
    return app.port();
  }

  public String baseUrl() {
    return "http://" + (opt.host().contains(":") ? "[" + opt.host() + "]" : opt.host()) + ":" + port();
  }

  public Metrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    if (app != null) {
      app.stop();
    }
    worker.close(); // the model thread has ended: nothing uses the verifiers any more
    open.values().forEach(Verifier::close);
    open.clear();
  }

  // ---- routes ----

  private void guard(Context ctx) {
    if (ctx.path().equals("/health")) {
      return;
    }
    if (opt.apiKey() != null && !opt.apiKey().isEmpty()) {
      String h = ctx.header("Authorization");
      String want = "Bearer " + opt.apiKey();
      if (h == null || !MessageDigest.isEqual(h.getBytes(StandardCharsets.UTF_8), want.getBytes(StandardCharsets.UTF_8))) {
        ctx.header("WWW-Authenticate", "Bearer");
        throw new ApiError(401, "authentication_error", "missing or invalid bearer token");
      }
    }
    if (ctx.contentLength() > opt.limits().maxBodyBytes()) {
      throw new ApiError(413, "request_too_large", "request body of " + ctx.contentLength() + " bytes exceeds "
          + opt.limits().maxBodyBytes());
    }
  }

  private void models(Context ctx) {
    ObjectNode out = Jsonl.MAPPER.createObjectNode().put("object", "list");
    out.putArray("data").addObject().put("id", opt.modelName()).put("object", "model").put("created", started)
        .put("owned_by", "genrm4j").put("max_model_len", model.config().maxPositionEmbeddings());
    json(ctx, 200, out);
  }

  private void tokenize(Context ctx) {
    JsonNode body = body(ctx);
    String prompt = Req.text(body, "prompt", true);
    boolean special = Req.boolField(body, "add_special_tokens", true);
    int[] ids;
    try {
      ids = special ? generator.promptIds(prompt) : generator.tokenizer().encode(prompt);
    } catch (UserException | IllegalArgumentException e) {
      throw ApiError.badRequest(e.getMessage());
    }
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    ArrayNode t = out.putArray("tokens");
    for (int id : ids) {
      t.add(id);
    }
    out.put("count", ids.length).put("max_model_len", model.config().maxPositionEmbeddings());
    json(ctx, 200, out);
  }

  private void completions(Context ctx) {
    JsonNode body = body(ctx);
    Completions.Request req;
    try {
      req = completions.parse(body);
    } catch (UserException | IllegalArgumentException e) {
      throw ApiError.badRequest(e.getMessage());
    }
    Completions.Result r = await(worker.submit(completionRunner, req.batchKey(), req, req.rows()));
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    out.put("id", "cmpl-" + UUID.randomUUID().toString().replace("-", ""));
    out.put("object", "text_completion");
    out.put("created", System.currentTimeMillis() / 1000);
    out.put("model", opt.modelName());
    out.set("choices", r.choices());
    out.putObject("usage").put("prompt_tokens", r.promptTokens()).put("completion_tokens", r.completionTokens())
        .put("total_tokens", r.promptTokens() + r.completionTokens());
    json(ctx, 200, out);
  }

  private void verify(Context ctx, boolean rerank) {
    long t0 = System.nanoTime();
    JsonNode body = body(ctx);
    ServeLimits l = opt.limits();
    String question = Req.text(body, "question", true);
    List<String> solutions = Req.stringList(body, "solutions", l.maxCandidates());
    String mode = Req.text(body, "mode", false);
    mode = mode == null ? opt.defaultMode() : mode;
    VerifierKind kind;
    try {
      kind = VerifierKind.parse(mode);
    } catch (UserException e) {
      throw ApiError.badRequest("'mode': " + e.getMessage());
    }
    JsonNode v = body.get("votes");
    if (v != null && !v.isNull() && v.isIntegralNumber() && v.asLong() > l.maxVotes()) {
      throw new ApiError(400, "limit_exceeded", "at most " + l.maxVotes() + " votes, got " + v.asLong());
    }
    int votes = Req.intField(body, "votes", kind.samplesVotes() ? opt.defaultVotes() : 1, 1, l.maxVotes());
    VerifyRequest req = new VerifyRequest(question, solutions, kind, votes);
    // deterministic kinds batch across requests; sampled votes run per request (stream-stable)
    Object key = kind.samplesVotes() ? null : new VerifyKey(kind, votes);
    List<VerifierScore> scores = await(worker.submit(verifyRunner, key, req, solutions.size()));
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    ArrayNode arr = Jsonl.MAPPER.createArrayNode();
    for (int i = 0; i < scores.size(); i++) {
      // the score record without problem and candidate ids: the index names the solution
      arr.addObject().put("index", i).setAll(scores.get(i).toScore(null, null).withMass().toJson());
    }
    if (rerank) {
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < scores.size(); i++) {
        order.add(i);
      }
      order.sort(Comparator.comparingDouble((Integer i) -> rankable(scores.get(i).score())).reversed());
      int best = order.get(0);
      out.put("best_index", best);
      out.put("best_solution", solutions.get(best));
      ArrayNode ranking = out.putArray("ranking");
      order.forEach(ranking::add);
    }
    out.set("scores", arr);
    out.put("mode", mode);
    out.put("kind", kind.id());
    out.put("timing_ms", (System.nanoTime() - t0) / 1e6);
    json(ctx, 200, out);
  }

  private static double rankable(double score) {
    return Double.isNaN(score) ? Double.NEGATIVE_INFINITY : score;
  }

  /** Model thread: scores a batch of verify requests sharing (kind, votes), or one request with sampled votes. */
  private List<List<VerifierScore>> runVerify(Object key, List<VerifyRequest> reqs) {
    VerifyRequest first = reqs.get(0);
    VerifyKey k = new VerifyKey(first.kind(), first.votes());
    Verifier vf = open.get(k);
    if (vf == null) {
      vf = verifiers.open(k.kind(), k.votes());
      open.put(k, vf);
    }
    List<String> qs = new ArrayList<>();
    List<List<String>> sols = new ArrayList<>();
    for (VerifyRequest r : reqs) {
      qs.add(r.question());
      sols.add(r.solutions());
    }
    List<List<VerifierScore>> out = vf.scoreAll(qs, sols);
    for (int i = 0; i < reqs.size(); i++) {
      if (out.get(i).size() != reqs.get(i).solutions().size()) {
        throw new IllegalStateException("verifier returned " + out.get(i).size() + " scores for "
            + reqs.get(i).solutions().size() + " solutions");
      }
    }
    return out;
  }

  // ---- plumbing ----

  private JsonNode body(Context ctx) {
    byte[] bytes;
    try {
      bytes = ctx.bodyAsBytes();
    } catch (HttpResponseException e) {
      throw e;
    } catch (Exception e) { // Jetty's idle timeout on a slow client surfaces as an (unchecked-thrown) IOException
      throw new ApiError(408, "request_timeout", "could not read the request body in time: " + e);
    }
    if (bytes.length > opt.limits().maxBodyBytes()) {
      throw new ApiError(413, "request_too_large", "request body exceeds " + opt.limits().maxBodyBytes() + " bytes");
    }
    if (bytes.length == 0) {
      throw ApiError.badRequest("empty request body; expected a JSON object");
    }
    JsonNode node;
    try {
      node = Jsonl.MAPPER.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("malformed JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw ApiError.badRequest("unreadable body: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw ApiError.badRequest("expected a JSON object");
    }
    return node;
  }

  private <T> T await(CompletableFuture<T> f) {
    long timeout = opt.limits().requestTimeoutMs();
    try {
      return f.get(timeout, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new ApiError(503, "timeout", "request not finished within " + timeout + " ms; retry later");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiError(503, "interrupted", "interrupted");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof ApiError a) {
        throw a;
      }
      if (c instanceof UserException || c instanceof IllegalArgumentException) {
        throw ApiError.badRequest(c.getMessage());
      }
      LOG.error("model job failed", c);
      throw new ApiError(500, "internal_error", "model job failed: " + c.getClass().getSimpleName());
    }
  }

  private void error(Context ctx, int status, String type, String message) {
    metrics.error(route(ctx), type);
    ObjectNode e = Jsonl.MAPPER.createObjectNode();
    e.putObject("error").put("message", message == null ? type : message).put("type", type).put("code", status);
    json(ctx, status, e);
  }

  private static void json(Context ctx, int status, JsonNode body) {
    ctx.status(status).contentType("application/json").result(Jsonl.toJson(body));
  }

  private static String route(Context ctx) {
    String p = ctx.path();
    return ROUTES.contains(p) ? p : "other";
  }
}
