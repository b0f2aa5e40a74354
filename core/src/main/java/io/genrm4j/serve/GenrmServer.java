package io.genrm4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.task.Score;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.ContextLengthException;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierScore;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.StatisticsHandler;
import org.eclipse.jetty.util.thread.ThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: GenRM verify/rerank, OpenAI-compatible completions, vLLM-style /tokenize, OpenRLHF's remote
 * reward route /get_reward, SGLang's label-probability route /v1/score, health and Prometheus metrics. Every model
 * call runs on the single {@link ModelWorker} thread. Binds 127.0.0.1 unless told otherwise.
 * Client mistakes are 4xx naming the problem; a 5xx is a server fault, logged as one line with the request id that
 * the response carries (X-Request-Id, and {@code request_id} in every error body).
 */
public final class GenrmServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GenrmServer.class);
  static final Set<String> ROUTES = Set.of("/health", "/metrics", "/v1/models", "/v1/completions", "/v1/verify",
      "/v1/rerank", "/tokenize", "/get_reward", "/v1/score");
  private static final String REQUEST_ID = "genrm.requestId";
  private static final String BODY = "genrm.body";
  private static final String AUTHORIZED = "genrm.authorized";
  private static final int FREE_HTTP_THREADS = 16;
  private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "::1", "localhost.");

  /**
   * Server settings; {@code defaultMode} is a name {@link VerifierKind#parse} accepts; {@code rewardSeparator} splits
   * a /get_reward query into prompt and response at its last occurrence (null: requests must send "prompts");
   * {@code logprobTokenIds} and {@code scoreRoute} switch vLLM's and SGLang's exact-label extensions (on by default;
   * off, the server answers as one without them, which is how clients' fallbacks are tested).
   */
  public record Options(String host, int port, String apiKey, String modelName, String defaultMode,
      int defaultVotes, ServeLimits limits, boolean logprobTokenIds, boolean scoreRoute, String rewardSeparator) {
    /** Settings under which every request would fail, or auth would be off without saying so, are refused. */
    public Options {
      if (apiKey != null && apiKey.isBlank()) {
        throw new IllegalArgumentException("an empty API key would turn authentication off; pass null for none");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
      }
      limits.validated();
      if (defaultVotes < 1 || defaultVotes > limits.maxVotes()) {
        throw new IllegalArgumentException("default votes must be in [1, " + limits.maxVotes() + "], got "
            + defaultVotes);
      }
      VerifierKind.parse(defaultMode);
      if (rewardSeparator != null && rewardSeparator.isEmpty()) {
        throw new IllegalArgumentException("an empty reward separator splits nothing; pass null for none");
      }
    }

    public static Options loopback(int port) {
      return new Options("127.0.0.1", port, null, "genrm", "direct", 8, ServeLimits.defaults(), true, true, null);
    }

    public Options withApiKey(String key) {
      return new Options(host, port, key, modelName, defaultMode, defaultVotes, limits, logprobTokenIds, scoreRoute,
          rewardSeparator);
    }

    public Options withLimits(ServeLimits l) {
      return new Options(host, port, apiKey, modelName, defaultMode, defaultVotes, l, logprobTokenIds, scoreRoute,
          rewardSeparator);
    }

    public Options withLogprobTokenIds(boolean on) {
      return new Options(host, port, apiKey, modelName, defaultMode, defaultVotes, limits, on, scoreRoute,
          rewardSeparator);
    }

    public Options withScoreRoute(boolean on) {
      return new Options(host, port, apiKey, modelName, defaultMode, defaultVotes, limits, logprobTokenIds, on,
          rewardSeparator);
    }

    public Options withModelName(String name) {
      return new Options(host, port, apiKey, name, defaultMode, defaultVotes, limits, logprobTokenIds, scoreRoute,
          rewardSeparator);
    }

    public Options withDefaultMode(String mode) {
      return new Options(host, port, apiKey, modelName, mode, defaultVotes, limits, logprobTokenIds, scoreRoute,
          rewardSeparator);
    }

    public Options withRewardSeparator(String separator) {
      return new Options(host, port, apiKey, modelName, defaultMode, defaultVotes, limits, logprobTokenIds, scoreRoute,
          separator);
    }
  }

  private record VerifyRequest(String question, List<String> solutions, VerifierKind kind, int votes) {}

  private record VerifyKey(VerifierKind kind, int votes) {}

  /** A /v1/score request's prompts (query and item joined, tokenized) and the label ids read after each. */
  private record ScoreRequest(List<int[]> prompts, int[] labels) {}

  /** Score requests batch when they ask for the same labels (one forward over every prompt, one fork per label). */
  private record ScoreKey(List<Integer> labels) {}

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
  private final ModelWorker.BatchRunner<ScoreRequest, double[][]> scoreRunner = this::runScore;
  private final long started = System.currentTimeMillis() / 1000;
  private Javalin app;
  private Semaphore modelWaiters; // HTTP threads that may wait on the model at once
  private boolean anyHost; // bound to all interfaces: the Host header cannot be checked
  private boolean loopback;

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
    metrics.gauge("genrm_model_cancelled_requests_total", Metrics.of(worker.cancelledJobs));
  }

  public GenrmServer start() {
    ServeLimits l = opt.limits();
    app = Javalin.create(cfg -> {
      cfg.showJavalinBanner = false;
      cfg.startupWatcherEnabled = false;
      cfg.http.maxRequestSize = l.maxBodyBytes();
      cfg.requestLogger.http((ctx, ms) -> metrics.request(route(ctx), ctx.statusCode(), ms / 1000.0));
      // close() (SIGTERM: a rolling update) refuses new connections and answers the requests in flight first, for at
      // most the drain time; Jetty counts them in a StatisticsHandler.
      cfg.jetty.modifyServer(server -> {
        server.setHandler(new StatisticsHandler());
        server.setStopTimeout(drainMs(l));
      });
    });
    app.before(this::guard);
    app.get("/health", this::health);
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.render()));
    app.get("/v1/models", this::models);
    app.post("/v1/completions", this::completions);
    app.post("/v1/verify", ctx -> verify(ctx, false));
    app.post("/v1/rerank", ctx -> verify(ctx, true));
    app.post("/tokenize", this::tokenize);
    app.post("/get_reward", this::reward);
    if (opt.scoreRoute()) {
      app.post("/v1/score", this::score);
    }
    app.exception(ApiError.class, (e, ctx) -> {
      if (e.status() >= 500 && e.getCause() != null) {
        fault(ctx, e.getCause());
      }
      error(ctx, e.status(), e.type(), e.getMessage());
    });
    app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(),
        e.getStatus() == 413 ? "request_too_large" : "invalid_request_error",
        e.getStatus() == 413 ? "request body exceeds " + l.maxBodyBytes() + " bytes" : e.getMessage()));
    app.exception(Exception.class, (e, ctx) -> {
      fault(ctx, e);
      error(ctx, 500, "internal_error", "internal error; the server log has request id " + requestId(ctx));
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
    // Requests waiting on the model hold an HTTP thread each; leave some free for /health, /metrics and 4xx answers.
    int threads = app.jettyServer().server().getThreadPool() instanceof ThreadPool.SizedThreadPool p
        ? p.getMaxThreads() : 200;
    modelWaiters = new Semaphore(Math.max(1, threads - FREE_HTTP_THREADS));
    InetAddress bound = resolve(opt.host());
    anyHost = bound != null && bound.isAnyLocalAddress();
    loopback = bound != null && bound.isLoopbackAddress();
    return this;
  }

  /** How long close() waits for requests in flight: their timeout, at most 25 s (Kubernetes kills after 30 s). */
  static long drainMs(ServeLimits l) {
    return Math.min(l.requestTimeoutMs(), 25_000);
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

  /**
   * Before every route: a request id (answered in X-Request-Id and in error bodies), the browser checks when no key
   * is set, the key, then for a POST its content type and its body, read whole under the body deadline.
   */
  private void guard(Context ctx) {
    String id = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    ctx.attribute(REQUEST_ID, id);
    ctx.header("X-Request-Id", id);
    boolean keyed = opt.apiKey() != null;
    if (!keyed) {
      refuseBrowserReach(ctx);
    }
    boolean authorized = !keyed || bearerMatches(ctx.header("Authorization"));
    ctx.attribute(AUTHORIZED, authorized);
    if (ctx.path().equals("/health")) {
      return;
    }
    if (!authorized) {
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ApiError(401, "authentication_error", "missing or invalid bearer token");
    }
    if (ctx.contentLength() > opt.limits().maxBodyBytes()) {
      throw new ApiError(413, "request_too_large", "request body of " + ctx.contentLength() + " bytes exceeds "
          + opt.limits().maxBodyBytes());
    }
    if (ctx.method() == HandlerType.POST) {
      String type = ctx.header("Content-Type");
      // a form or text/plain body (what a web page can send without a CORS preflight, and what curl -d sends) is
      // refused, and so is a body without any type
      if (type != null && !type.split(";", 2)[0].trim().equalsIgnoreCase("application/json")) {
        throw new ApiError(415, "unsupported_media_type", "Content-Type must be application/json, got '" + type + "'");
      }
      byte[] body = readBody(ctx);
      if (type == null && body.length > 0) {
        throw new ApiError(415, "unsupported_media_type", "a request body needs Content-Type: application/json");
      }
      ctx.attribute(BODY, body);
    }
  }

  /** {@code Authorization: Bearer KEY}, the scheme in any case (RFC 7235), the key compared in constant time. */
  private boolean bearerMatches(String header) {
    if (header == null) {
      return false;
    }
    String[] parts = header.strip().split(" +", 2);
    return parts.length == 2 && parts[0].equalsIgnoreCase("Bearer") && MessageDigest.isEqual(
        parts[1].getBytes(StandardCharsets.UTF_8), opt.apiKey().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Without a key any web page could drive the server from a browser: the Host header must name the bound address
   * (loopback names when bound to loopback; anything when bound to all interfaces), which defeats DNS rebinding, and
   * a browser's Origin header must be this server itself.
   */
  private void refuseBrowserReach(Context ctx) {
    String host = ctx.header("Host");
    if (host != null && !anyHost && !servesHost(hostName(host))) {
      throw new ApiError(403, "forbidden", "Host header '" + host + "' does not name this server (bound to "
          + opt.host() + "); without --api-key only " + (loopback ? "localhost, 127.0.0.1 and [::1]" : opt.host())
          + " are accepted");
    }
    String origin = ctx.header("Origin");
    if (origin != null && (host == null || !origin.equalsIgnoreCase("http://" + host))) {
      throw new ApiError(403, "forbidden", "cross-origin request from Origin '" + origin
          + "' refused: browsers may call this server only from its own origin unless --api-key is set");
    }
  }

  private boolean servesHost(String name) {
    if (loopback && LOOPBACK_NAMES.contains(name.toLowerCase(Locale.ROOT))) {
      return true;
    }
    return name.equalsIgnoreCase(opt.host()) || name.equalsIgnoreCase(hostName(opt.host()));
  }

  /** The name in a Host header or address, without port or IPv6 brackets. */
  private static String hostName(String host) {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? host : host.substring(1, end);
    }
    int colon = host.indexOf(':');
    return colon >= 0 && colon == host.lastIndexOf(':') ? host.substring(0, colon) : host;
  }

  private static InetAddress resolve(String host) {
    try {
      return InetAddress.getByName(hostName(host));
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /**
   * The whole body, read under one deadline (the idle timeout, as a total): a client that trickles a byte just
   * within the idle timeout again and again is cut at the deadline instead of holding a thread indefinitely.
   */
  private byte[] readBody(Context ctx) {
    long max = opt.limits().maxBodyBytes();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(opt.limits().idleTimeoutMs());
    Request base = Request.getBaseRequest(ctx.req());
    EndPoint ep = base == null ? null : base.getHttpChannel().getEndPoint();
    long idle = ep == null ? 0 : ep.getIdleTimeout();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] chunk = new byte[16 * 1024];
    try {
      InputStream in = ctx.req().getInputStream();
      while (true) {
        long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
        if (left <= 0) {
          throw new IOException("body deadline passed");
        }
        if (ep != null) {
          ep.setIdleTimeout(Math.min(idle, left));
        }
        int n = in.read(chunk);
        if (n < 0) {
          return buf.toByteArray();
        }
        if (buf.size() + n > max) {
          throw new ApiError(413, "request_too_large", "request body exceeds " + max + " bytes");
        }
        buf.write(chunk, 0, n);
      }
    } catch (IOException | UncheckedIOException e) { // Jetty reports its read timeout as an IOException
      throw new ApiError(408, "request_timeout", "the request body was not received within "
          + opt.limits().idleTimeoutMs() + " ms (" + buf.size() + " bytes read)");
    } finally {
      if (ep != null) {
        ep.setIdleTimeout(idle);
      }
    }
  }

  /**
   * Never touches the model: the queue depth is a plain read, and model requests cannot take every HTTP thread.
   * With a key set, a caller without it learns only that the server is up, not the model name or the load.
   */
  private void health(Context ctx) {
    ObjectNode out = Jsonl.MAPPER.createObjectNode().put("status", "ok");
    if (Boolean.TRUE.equals(ctx.attribute(AUTHORIZED))) {
      out.put("model", opt.modelName()).put("queue", worker.queued());
    }
    json(ctx, 200, out);
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
    boolean rationales = Req.boolField(body, "rationales", false);
    VerifyRequest req = new VerifyRequest(question, solutions, kind, votes);
    // deterministic kinds batch across requests; sampled votes run per request (stream-stable)
    Object key = kind.samplesVotes() ? null : new VerifyKey(kind, votes);
    List<VerifierScore> scores = await(worker.submit(verifyRunner, key, req, solutions.size()));
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    ArrayNode arr = Jsonl.MAPPER.createArrayNode();
    for (int i = 0; i < scores.size(); i++) {
      // the score record without problem and candidate ids: the index names the solution
      Score record = scores.get(i).toScore(null, null).withMass();
      record = rationales ? record.withRationales(List.of(scores.get(i).rationales())) : record;
      arr.addObject().put("index", i).setAll(record.toJson());
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

  /**
   * OpenRLHF's remote reward model ({@code --remote_rm_url}): {@code {"query": [prompt + response, ...],
   * "prompts": [...]}} -> {@code {"rewards": [...]}}, each reward the score of the server's default mode. A query
   * is split into the verifier's question and solution by its prompt (it must start with it) or, without
   * "prompts", at the last {@code --reward-separator}. Queries sharing a prompt are scored as one request, so CoT
   * votes and batching see them together.
   */
  private void reward(Context ctx) {
    long t0 = System.nanoTime();
    JsonNode body = body(ctx);
    int max = opt.limits().maxCandidates();
    List<String> queries = Req.stringList(body, "query", max);
    JsonNode p = body.get("prompts");
    List<String> prompts = p == null || p.isNull() ? null : Req.stringList(body, "prompts", max);
    if (prompts != null && prompts.size() != queries.size()) {
      throw ApiError.badRequest("'prompts' has " + prompts.size() + " entries, 'query' " + queries.size());
    }
    QuerySplit split = splitQueries(queries, prompts);
    Map<String, List<Integer>> byPrompt = split.byPrompt();
    List<String> responses = split.responses();
    VerifierKind kind = VerifierKind.parse(opt.defaultMode());
    int votes = kind.samplesVotes() ? opt.defaultVotes() : 1;
    Object key = kind.samplesVotes() ? null : new VerifyKey(kind, votes);
    List<String> order = new ArrayList<>(byPrompt.keySet());
    List<CompletableFuture<List<VerifierScore>>> jobs = new ArrayList<>();
    for (String prompt : order) {
      List<String> sols = byPrompt.get(prompt).stream().map(responses::get).toList();
      jobs.add(worker.submit(verifyRunner, key, new VerifyRequest(prompt, sols, kind, votes), sols.size()));
    }
    double[] rewards = new double[queries.size()];
    try {
      for (int g = 0; g < order.size(); g++) {
        List<VerifierScore> scores = await(jobs.get(g));
        List<Integer> idx = byPrompt.get(order.get(g));
        for (int j = 0; j < idx.size(); j++) {
          rewards[idx.get(j)] = scores.get(j).score();
        }
      }
    } finally {
      jobs.forEach(j -> j.cancel(false)); // after a failed group the others' work is not wanted (no-op when done)
    }
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    ArrayNode r = out.putArray("rewards");
    for (double x : rewards) {
      if (Double.isFinite(x)) {
        r.add(x);
      } else {
        r.addNull();
      }
    }
    out.set("scores", r.deepCopy()); // newer OpenRLHF reads "scores" (for filtering) beside "rewards"
    out.put("mode", opt.defaultMode());
    out.put("kind", kind.id());
    out.put("timing_ms", (System.nanoTime() - t0) / 1e6);
    json(ctx, 200, out);
  }

  /** Each query's response, and the indices of the queries by their prompt, prompts in first-seen order. */
  private record QuerySplit(List<String> responses, Map<String, List<Integer>> byPrompt) {}

  /** Splits each query into prompt and response: by {@code prompts} when given, else at the reward separator. */
  private QuerySplit splitQueries(List<String> queries, List<String> prompts) {
    Map<String, List<Integer>> byPrompt = new LinkedHashMap<>();
    List<String> responses = new ArrayList<>();
    for (int i = 0; i < queries.size(); i++) {
      String q = queries.get(i);
      String prompt;
      String response;
      if (prompts != null) {
        prompt = prompts.get(i);
        if (!q.startsWith(prompt)) {
          throw ApiError.badRequest("'query'[" + i + "] does not start with 'prompts'[" + i + "]");
        }
        response = q.substring(prompt.length());
      } else if (opt.rewardSeparator() != null) {
        int at = q.lastIndexOf(opt.rewardSeparator());
        if (at < 0) {
          throw ApiError.badRequest("'query'[" + i + "] does not contain the reward separator "
              + Jsonl.toJson(Jsonl.MAPPER.getNodeFactory().textNode(opt.rewardSeparator())));
        }
        prompt = q.substring(0, at);
        response = q.substring(at + opt.rewardSeparator().length());
      } else {
        throw ApiError.badRequest("'prompts' is required: this server has no --reward-separator to split 'query'");
      }
      responses.add(response);
      byPrompt.computeIfAbsent(prompt, k -> new ArrayList<>()).add(i);
    }
    return new QuerySplit(responses, byPrompt);
  }

  /**
   * SGLang's decoder-only scoring route: {@code {"query", "items", "label_token_ids", "apply_softmax",
   * "item_first"}} -> {@code {"scores": [[p(label) per label] per item]}}. Each prompt is query + item (item + query
   * with item_first), read for its next-token probabilities of the labels: raw, or softmaxed over the labels with
   * apply_softmax. The shape is sglang's ScoringRequest/ScoringResponse (python/sglang/srt/entrypoints/openai/
   * protocol.py) and the semantics its TokenizerManager.score_request; unlike SGLang, items must be text (no
   * token-id lists) and there is at least one. Fields SGLang ignores ("model") are ignored here too.
   */
  private void score(Context ctx) {
    JsonNode body = body(ctx);
    String query = Req.text(body, "query", false);
    JsonNode it = body.get("items");
    List<String> items = it != null && it.isTextual() ? List.of(it.asText())
        : Req.stringList(body, "items", opt.limits().maxCandidates());
    int vocab = model.config().vocabSize();
    int[] labels = Req.tokenIds(body, "label_token_ids", 64, vocab);
    if (labels.length == 0) {
      throw ApiError.badRequest("'label_token_ids' is required: the token ids whose next-token probabilities to read");
    }
    boolean softmax = Req.boolField(body, "apply_softmax", false);
    boolean itemFirst = Req.boolField(body, "item_first", false);
    int maxPos = model.config().maxPositionEmbeddings();
    List<int[]> prompts = new ArrayList<>();
    int promptTokens = 0;
    for (int i = 0; i < items.size(); i++) {
      String q = query == null ? "" : query;
      String text = itemFirst ? items.get(i) + q : q + items.get(i);
      int[] ids;
      try {
        ids = generator.promptIds(text);
      } catch (UserException | IllegalArgumentException e) {
        throw ApiError.badRequest("'items'[" + i + "]: " + e.getMessage());
      }
      if (ids.length == 0 || ids.length > maxPos) {
        throw ApiError.badRequest("'items'[" + i + "] with the query is " + ids.length
            + " tokens; this model reads 1 to " + maxPos);
      }
      prompts.add(ids);
      promptTokens += ids.length;
    }
    List<Integer> key = Arrays.stream(labels).boxed().toList();
    double[][] logp = await(worker.submit(scoreRunner, new ScoreKey(key), new ScoreRequest(prompts, labels),
        prompts.size()));
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    ArrayNode scores = out.putArray("scores");
    for (double[] row : logp) {
      ArrayNode r = scores.addArray();
      double max = Arrays.stream(row).max().orElse(0);
      double norm = 0;
      for (double x : row) {
        norm += Math.exp(x - max);
      }
      for (double x : row) {
        double p = softmax ? Math.exp(x - max) / norm : Math.exp(x);
        if (Double.isFinite(p)) {
          r.add(p);
        } else {
          r.addNull();
        }
      }
    }
    out.put("model", opt.modelName());
    out.put("object", "scoring");
    out.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", 0)
        .put("total_tokens", promptTokens);
    json(ctx, 200, out);
  }

  /** Model thread: the labels' next-token log-probs after every prompt of a batch of score requests. */
  private List<double[][]> runScore(Object key, List<ScoreRequest> reqs) {
    List<int[]> prompts = new ArrayList<>();
    reqs.forEach(r -> prompts.addAll(r.prompts()));
    double[][] all = Scoring.nextTokenLogProbs(model, Math.max(0, generator.tokenizer().padId()), prompts,
        reqs.get(0).labels());
    List<double[][]> out = new ArrayList<>();
    int at = 0;
    for (ScoreRequest r : reqs) {
      out.add(Arrays.copyOfRange(all, at, at + r.prompts().size()));
      at += r.prompts().size();
    }
    return out;
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

  /** The request's JSON object: the body {@link #guard} read, parsed strictly. */
  private JsonNode body(Context ctx) {
    byte[] bytes = ctx.attribute(BODY);
    return Req.object(bytes != null ? bytes : ctx.bodyAsBytes());
  }

  /**
   * Waits for a model job. A job not done within the request timeout is cancelled, which interrupts it on the model
   * thread (or drops it from the queue), so abandoned work neither runs on nor holds a queue slot.
   */
  private <T> T await(CompletableFuture<T> f) {
    long timeout = opt.limits().requestTimeoutMs();
    if (!modelWaiters.tryAcquire()) {
      f.cancel(false);
      throw ApiError.overloaded("too many requests are waiting on the model; retry later");
    }
    try {
      return f.get(timeout, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new ApiError(503, "timeout", "request not finished within " + timeout + " ms; it was cancelled");
    } catch (InterruptedException e) {
      f.cancel(false);
      Thread.currentThread().interrupt();
      throw new ApiError(503, "interrupted", "interrupted");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof ApiError a) {
        throw a;
      }
      if (c instanceof ContextLengthException cl) { // a verify request is scored alone when it fails (ModelWorker)
        throw ApiError.badRequest("'solutions'[" + cl.index() + "] " + cl.reason());
      }
      if (c instanceof UserException || c instanceof IllegalArgumentException) {
        throw ApiError.badRequest(c.getMessage());
      }
      throw new ApiError(500, "internal_error", "the model job failed; see the server log", c);
    } finally {
      modelWaiters.release();
    }
  }

  /** One log line per server fault, with the request id the client got; the trace only at debug level. */
  private static void fault(Context ctx, Throwable t) {
    LOG.error("request {} {} {}: {}", requestId(ctx), ctx.method(), ctx.path(), String.valueOf(t).replace('\n', ' '));
    LOG.debug("request {}: trace", requestId(ctx), t);
  }

  private static String requestId(Context ctx) {
    String id = ctx.attribute(REQUEST_ID);
    return id == null ? "-" : id;
  }

  private void error(Context ctx, int status, String type, String message) {
    metrics.error(route(ctx), type);
    if (type.equals("server_overloaded")) {
      ctx.header("Retry-After", "1"); // nothing of this request ran: retrying it is safe
    }
    ObjectNode e = Jsonl.MAPPER.createObjectNode();
    e.putObject("error").put("message", message == null ? type : message).put("type", type).put("code", status)
        .put("request_id", requestId(ctx));
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
