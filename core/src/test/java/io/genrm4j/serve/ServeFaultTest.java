package io.genrm4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.TestTokenizers;
import io.genrm4j.task.Prompts;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.GenRmCot;
import io.genrm4j.verify.GenRmDirect;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fault injection over loopback (issue #22): every bad request gets a 4xx naming its problem, good ones get their
 * normal answer, and the server stays up. Requests are written on raw sockets so Host, Content-Type and the bytes of
 * the body are exactly what a hostile client would send.
 */
class ServeFaultTest {
  static NDManager root;
  static LlamaModel model;
  static CharTokenizer tok;
  static Generator gen;
  static GenrmServer server;

  @BeforeAll
  static void start() {
    tok = TestTokenizers.printableAscii();
    root = NDManager.newBaseManager();
    model = LlamaModel.init(Presets.get("test", tok.vocabSize()), 11, root);
    gen = new Generator(model, tok);
    server = new GenrmServer(model, gen, ServeFaultTest::verifiers, GenrmServer.Options.loopback(0)
        .withLimits(limits(30_000, 2_000))).start();
  }

  /**
   * Direct verification, and GenRM-CoT with an 8-token rationale budget; kind orm stands for a verifier that fails
   * on the model thread (a server fault).
   */
  static io.genrm4j.verify.Verifier verifiers(io.genrm4j.verify.VerifierKind kind, int votes) {
    if (kind == io.genrm4j.verify.VerifierKind.ORM) {
      throw new IllegalStateException("boom in /secret/path/model.safetensors");
    }
    if (kind == io.genrm4j.verify.VerifierKind.GENRM_COT) {
      return new GenRmCot(model, gen.tokenizer(), Prompts.Format.PAPER, votes,
          new SamplingParams(8, 0.7, 1.0, 0, List.of(), 0, true, 0));
    }
    return new GenRmDirect(model, gen.tokenizer(), Prompts.Format.PAPER);
  }

  static ServeLimits limits(long requestTimeoutMs, long idleTimeoutMs) {
    return ServeLimits.defaults().withRequestTimeoutMs(requestTimeoutMs).withIdleTimeoutMs(idleTimeoutMs);
  }

  @AfterAll
  static void stop() {
    server.close();
    model.close();
    root.close();
  }

  /** A raw HTTP exchange: status line code, headers and body as text. */
  record Raw(int status, String head, String body) {
    String header(String name) {
      for (String line : head.split("\r\n")) {
        int c = line.indexOf(':');
        if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
          return line.substring(c + 1).trim();
        }
      }
      return null;
    }

    String line() {
      String b = body.replace('\n', ' ');
      return status + " " + (b.length() > 160 ? b.substring(0, 160) + "..." : b);
    }
  }

  static byte[] request(String method, String path, Map<String, String> headers, byte[] body) {
    StringBuilder h = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
    Map<String, String> all = new LinkedHashMap<>();
    all.put("Host", "127.0.0.1:" + server.port());
    all.put("Content-Type", "application/json");
    all.putAll(headers);
    all.put("Connection", "close");
    if (body != null) {
      all.put("Content-Length", Integer.toString(body.length));
    }
    all.forEach((k, v) -> {
      if (v != null) {
        h.append(k).append(": ").append(v).append("\r\n");
      }
    });
    h.append("\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(h.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      out.writeBytes(body);
    }
    return out.toByteArray();
  }

  static Raw send(GenrmServer s, byte[] req, int timeoutMs) throws IOException {
    try (Socket sock = new Socket("127.0.0.1", s.port())) {
      sock.setSoTimeout(timeoutMs);
      sock.getOutputStream().write(req);
      sock.getOutputStream().flush();
      return parse(new String(sock.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } catch (SocketTimeoutException e) {
      return new Raw(-1, "", "no answer within " + timeoutMs + " ms");
    }
  }

  static Raw parse(String full) {
    int split = full.indexOf("\r\n\r\n");
    String head = split < 0 ? full : full.substring(0, split);
    String body = split < 0 ? "" : full.substring(split + 4);
    int status = full.startsWith("HTTP/1.1 ") && full.length() >= 12 ? Integer.parseInt(full.substring(9, 12)) : -1;
    return new Raw(status, head, body);
  }

  static Raw post(String path, String json) throws IOException {
    return send(server, request("POST", path, Map.of(), json.getBytes(StandardCharsets.UTF_8)), 30_000);
  }

  /** A probe: a request, the status it must get, and a fragment (lower case) its error message must contain. */
  record Probe(String name, byte[] request, int status, String fragment) {}

  static Probe probe(String name, String body, int status, String fragment) {
    return new Probe(name, request("POST", "/v1/completions", Map.of(), body.getBytes(StandardCharsets.UTF_8)),
        status, fragment);
  }

  static Probe probeAt(String name, String path, String body, int status, String fragment) {
    return new Probe(name, request("POST", path, Map.of(), body.getBytes(StandardCharsets.UTF_8)), status, fragment);
  }

  /**
   * Inputs longer than the model's 1,024 positions on every path that feeds tokens to it, and the verify/rerank
   * parameter checks: each a 400 naming the candidate or field, found before any tensor is built.
   */
  static List<Probe> contextProbes() {
    List<Probe> p = new ArrayList<>();
    String longSolution = "\"" + "a".repeat(1100) + "\"";
    p.add(probeAt("verify: solution 1 over the context", "/v1/verify", "{\"question\":\"q\",\"solutions\":[\"a\","
        + longSolution + "]}", 400, "'solutions'[1] does not fit the model's context"));
    p.add(probeAt("rerank: solution 1 over the context", "/v1/rerank", "{\"question\":\"q\",\"solutions\":[\"a\","
        + longSolution + "]}", 400, "'solutions'[1] does not fit"));
    p.add(probeAt("verify: 300 KB question, 16 solutions", "/v1/verify", "{\"question\":\"" + "q".repeat(300_000)
        + "\",\"solutions\":[" + "\"a\",".repeat(15) + "\"a\"]}", 400, "has 1024 (max_position_embeddings)"));
    p.add(probeAt("genrm-cot: solution over the context", "/v1/verify", "{\"question\":\"q\",\"mode\":\"genrm-cot\","
        + "\"votes\":2,\"solutions\":[" + longSolution + "]}", 400, "'solutions'[0] does not fit"));
    int cotPrompt = tok.encodeWithBos(Prompts.Format.PAPER.verifyCot("q", "")).length;
    p.add(probeAt("genrm-cot: prompt fits, decision question does not", "/v1/verify", "{\"question\":\"q\","
        + "\"mode\":\"cot\",\"votes\":2,\"solutions\":[\"b\",\"" + "a".repeat(1024 - cotPrompt - 5) + "\"]}", 400,
        "'solutions'[1] does not fit"));
    p.add(probe("completions: prompt + max_tokens over the context", "{\"prompt\":\"" + "a".repeat(1000)
        + "\",\"max_tokens\":100}", 400, "maximum context length is 1024"));
    p.add(probeAt("verify: numeric solution", "/v1/verify", "{\"question\":\"q\",\"solutions\":[\"a\",5]}", 400,
        "'solutions' must be a list of strings"));
    p.add(probeAt("verify: numeric question", "/v1/verify", "{\"question\":5,\"solutions\":[\"a\"]}", 400,
        "'question' must be a string"));
    p.add(probeAt("verify: unknown mode lists every name", "/v1/verify", "{\"question\":\"q\",\"solutions\":[\"a\"],"
        + "\"mode\":\"bogus\"}", 400, "llm-judge, judge"));
    p.add(probeAt("verify: votes 0", "/v1/verify", "{\"question\":\"q\",\"solutions\":[\"a\"],\"mode\":\"cot\","
        + "\"votes\":0}", 400, "'votes' must be in [1, 64]"));
    p.add(probeAt("verify: 65 solutions", "/v1/verify", "{\"question\":\"q\",\"solutions\":["
        + "\"a\",".repeat(64) + "\"a\"]}", 400, "at most 64 entries in 'solutions'"));
    Map<String, String> untyped = new LinkedHashMap<>();
    untyped.put("Content-Type", null);
    p.add(new Probe("POST body without Content-Type", request("POST", "/v1/completions", untyped,
        "{\"prompt\":\"a\",\"max_tokens\":1}".getBytes(StandardCharsets.UTF_8)), 415, "content-type"));
    return p;
  }

  static List<Probe> badProbes() {
    List<Probe> p = contextProbes();
    String ok = "{\"prompt\":\"a\",\"max_tokens\":1";
    p.add(probe("trailing garbage", ok + "} xyz", 400, "'xyz'"));
    p.add(probe("two JSON values", ok + "}{}", 400, "trailing"));
    p.add(probe("duplicate key", "{\"prompt\":\"a\",\"prompt\":\"b\",\"max_tokens\":1}", 400,
        "duplicate field 'prompt'"));
    p.add(probe("stream true", ok + ",\"stream\":true}", 400, "stream"));
    p.add(probe("best_of 2", ok + ",\"best_of\":2}", 400, "best_of"));
    p.add(probe("suffix", ok + ",\"suffix\":\"x\"}", 400, "suffix"));
    p.add(probe("presence_penalty", ok + ",\"presence_penalty\":0.5}", 400, "presence_penalty"));
    p.add(probe("frequency_penalty", ok + ",\"frequency_penalty\":0.5}", 400, "frequency_penalty"));
    p.add(probe("logit_bias", ok + ",\"logit_bias\":{\"5\":10}}", 400, "logit_bias"));
    p.add(probe("unknown field", ok + ",\"temprature\":0.5}", 400, "temprature"));
    p.add(probe("wrong type n", ok + ",\"n\":\"2\"}", 400, "'n' must be an integer"));
    p.add(probe("wrong type prompt", "{\"prompt\":{\"a\":1}}", 400, "prompt"));
    p.add(probe("deep nesting", "{\"prompt\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 400, "nesting"));
    p.add(probe("escaped NUL", "{\"prompt\":\"a\\u0000b\",\"max_tokens\":1}", 400, "character"));
    byte[] rawNul = (ok + ",\"stop\":\"a\u0000\"}").getBytes(StandardCharsets.UTF_8);
    p.add(new Probe("raw NUL byte", request("POST", "/v1/completions", Map.of(), rawNul), 400, "malformed json"));
    byte[] badUtf8 = (ok + ",\"stop\":\"\u00ff\u00fe\"}").getBytes(StandardCharsets.ISO_8859_1);
    p.add(new Probe("invalid UTF-8", request("POST", "/v1/completions", Map.of(), badUtf8), 400, "utf-8"));
    p.add(probe("huge body", "{\"prompt\":\"" + "a".repeat(2 << 20) + "\"}", 413, "exceeds"));
    p.add(probe("work budget (issue's 402-byte request)", "{\"prompt\":[" + "\"a\",".repeat(63) + "\"a\"],"
        + "\"n\":16,\"max_tokens\":255,\"temperature\":1,\"logprobs\":20,\"echo\":true,\"ignore_eos\":true}", 400,
        "261120"));
    p.add(probe("response budget (logprob entries)", "{\"prompt\":[" + "\"a\",".repeat(15) + "\"a\"],"
        + "\"n\":16,\"max_tokens\":500,\"temperature\":1,\"logprobs\":20,\"ignore_eos\":true}", 400, "logprob"));
    byte[] one = (ok + "}").getBytes(StandardCharsets.UTF_8);
    p.add(new Probe("text/plain body", request("POST", "/v1/completions", Map.of("Content-Type", "text/plain"), one),
        415, "application/json"));
    p.add(new Probe("form body", request("POST", "/v1/completions",
        Map.of("Content-Type", "application/x-www-form-urlencoded"), one), 415, "application/json"));
    p.add(new Probe("bad Host (DNS rebinding)", request("POST", "/v1/completions", Map.of("Host", "evil.example:80"),
        one), 403, "host"));
    p.add(new Probe("bad Host on GET /v1/models", request("GET", "/v1/models", Map.of("Host", "evil.example"), null),
        403, "host"));
    p.add(new Probe("cross-origin browser POST", request("POST", "/v1/completions",
        Map.of("Origin", "http://evil.example"), one), 403, "origin"));
    return p;
  }

  /** Every bad probe, one after the other: its 4xx and a message naming the problem. Prints the probe table. */
  @Test
  void badRequestsGetA4xxNamingTheProblem() throws Exception {
    List<String> wrong = new ArrayList<>();
    for (Probe p : badProbes()) {
      Raw r = send(server, p.request(), 20_000);
      System.out.println("probe | " + p.name() + " | " + r.line());
      JsonNode err = r.status() >= 400 ? Jsonl.MAPPER.readTree(r.body()).path("error") : null;
      if (r.status() != p.status() || err == null
          || !err.path("message").asText().toLowerCase(Locale.ROOT).contains(p.fragment())) {
        wrong.add(p.name() + ": " + r.line());
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    assertEquals(200, send(server, request("GET", "/health", Map.of(), null), 5_000).status());
  }

  /**
   * With a key: the Bearer scheme in any case (RFC 7235), another scheme or key refused, and /health without the
   * key says only that the server is up (not the model name or the queue). An empty key is refused, never "no auth".
   */
  @Test
  void keyedServerTakesAnyCaseSchemeAndHidesHealthDetails() throws Exception {
    try (GenrmServer s = new GenrmServer(model, gen, ServeFaultTest::verifiers, GenrmServer.Options.loopback(0)
        .withApiKey("sekret")).start()) {
      for (String auth : List.of("Bearer sekret", "bearer sekret", "BEARER  sekret")) {
        Raw r = send(s, request("GET", "/v1/models", Map.of("Authorization", auth), null), 5_000);
        System.out.println("probe | Authorization: " + auth + " | " + r.line());
        assertEquals(200, r.status(), auth + ": " + r.line());
      }
      for (String auth : List.of("Bearer wrong", "Basic sekret", "sekret", "Bearer")) {
        assertEquals(401, send(s, request("GET", "/v1/models", Map.of("Authorization", auth), null), 5_000).status());
      }
      Raw anon = send(s, request("GET", "/health", Map.of(), null), 5_000);
      Raw authed = send(s, request("GET", "/health", Map.of("Authorization", "Bearer sekret"), null), 5_000);
      System.out.println("probe | /health without the key | " + anon.line());
      System.out.println("probe | /health with the key | " + authed.line());
      assertEquals(200, anon.status());
      assertEquals("{\"status\":\"ok\"}", anon.body().strip());
      assertEquals("genrm", Jsonl.MAPPER.readTree(authed.body()).path("model").asText(), authed.body());
      assertTrue(Jsonl.MAPPER.readTree(authed.body()).has("queue"), authed.body());
    }
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> GenrmServer.Options.loopback(0).withApiKey(""));
    assertTrue(e.getMessage().contains("empty API key"), e.getMessage());
  }

  @Test
  void sameOriginAndLoopbackNamesAreServed() throws Exception {
    byte[] body = "{\"prompt\":\"a\",\"max_tokens\":2,\"temperature\":0}".getBytes(StandardCharsets.UTF_8);
    for (Map<String, String> h : List.of(Map.of("Host", "localhost:" + server.port()), Map.of("Host", "[::1]"),
        Map.of("Origin", "http://127.0.0.1:" + server.port()),
        Map.of("Content-Type", "application/json; charset=utf-8"))) {
      Raw r = send(server, request("POST", "/v1/completions", h, body), 20_000);
      assertEquals(200, r.status(), h + ": " + r.line());
    }
  }

  /** A client that sends one byte at a time, each within the idle timeout, is cut at the body deadline. */
  @Test
  void slowLorisBodyIsCutAtTheDeadline() throws Exception {
    byte[] head = request("POST", "/v1/completions", Map.of("Content-Length", "64"), null);
    try (Socket sock = new Socket("127.0.0.1", server.port())) {
      sock.setSoTimeout(500);
      OutputStream out = sock.getOutputStream();
      out.write(head);
      out.flush();
      long t0 = System.nanoTime();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      while (System.nanoTime() - t0 < 8e9) {
        try {
          out.write('{'); // a byte every 0.5 s: never idle for the 2 s idle timeout
          out.flush();
        } catch (IOException closed) {
          // the server has hung up: read what it said
        }
        try {
          int n = sock.getInputStream().read(buf);
          if (n < 0) {
            break;
          }
          got.write(buf, 0, n);
        } catch (SocketTimeoutException e) {
          continue;
        } catch (IOException e) {
          break;
        }
      }
      double waited = (System.nanoTime() - t0) / 1e9;
      Raw r = parse(got.toString(StandardCharsets.UTF_8));
      System.out.println("probe | slow-loris body, 1 byte per 0.5 s | " + r.line() + " after " + waited + " s");
      assertEquals(408, r.status(), r.line());
      assertTrue(waited < 4, "cut at the 2 s body deadline, not after " + waited + " s");
    }
  }

  /** A server fault: 500 with a request id in header and body, no path or trace, and one log line. */
  @Test
  void serverFaultCarriesARequestIdAndLogsOneLine() throws Exception {
    PrintStream was = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Raw r;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      r = post("/v1/verify", "{\"question\":\"q\",\"solutions\":[\"a\"],\"mode\":\"orm\"}");
    } finally {
      System.setErr(was);
    }
    String logged = log.toString(StandardCharsets.UTF_8);
    System.out.println("probe | verifier fault (500) | " + r.line());
    System.out.println("probe | its log | " + logged.strip());
    assertEquals(500, r.status(), r.line());
    String id = r.header("X-Request-Id");
    assertTrue(id != null && !id.isEmpty(), r.head());
    assertEquals(id, Jsonl.MAPPER.readTree(r.body()).path("error").path("request_id").asText());
    assertFalse(r.body().contains("/secret") || r.body().contains("at io.genrm4j"), r.body());
    List<String> lines = logged.lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), logged);
    assertTrue(lines.get(0).contains(id), logged);
    // every answer carries its id, distinct per request
    Raw ok = send(server, request("GET", "/health", Map.of(), null), 5_000);
    assertNotEquals(null, ok.header("X-Request-Id"));
    assertNotEquals(id, ok.header("X-Request-Id"));
  }

  /** 50 concurrent requests, good and bad mixed: each good one its normal answer, each bad one a 4xx. */
  @Test
  void fiftyConcurrentRequestsMixedGoodAndBad() throws Exception {
    List<Probe> bad = badProbes().stream().filter(p -> !p.name().equals("huge body")).toList();
    String good = "{\"prompt\":\"Q: %d+1?\\nA:\",\"max_tokens\":6,\"temperature\":0}";
    Map<Integer, String> expected = new LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      Raw r = post("/v1/completions", String.format(good, i));
      assertEquals(200, r.status(), r.line());
      expected.put(i, Jsonl.MAPPER.readTree(r.body()).path("choices").get(0).path("text").asText());
    }
    ExecutorService pool = Executors.newFixedThreadPool(50);
    try {
      List<Future<String>> fs = new ArrayList<>();
      for (int k = 0; k < 50; k++) {
        int i = k;
        fs.add(pool.submit(() -> {
          if (i % 2 == 0) {
            Raw r = post("/v1/completions", String.format(good, i / 2 % 5));
            String text = r.status() == 200
                ? Jsonl.MAPPER.readTree(r.body()).path("choices").get(0).path("text").asText() : null;
            return r.status() == 200 && expected.get(i / 2 % 5).equals(text) ? null : "good #" + i + ": " + r.line();
          }
          Probe p = bad.get(i / 2 % bad.size());
          Raw r = send(server, p.request(), 30_000);
          return r.status() == p.status() ? null : p.name() + ": " + r.line();
        }));
      }
      List<String> wrong = new ArrayList<>();
      for (Future<String> f : fs) {
        String w = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
        if (w != null) {
          wrong.add(w);
        }
      }
      assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    } finally {
      pool.shutdownNow();
    }
    assertEquals(200, send(server, request("GET", "/health", Map.of(), null), 5_000).status());
  }

  /**
   * Greedy requests that differ in ignore_eos must not share a batch: each gets what it gets alone. A model over the
   * two characters "ab" ends a greedy completion with EOS often, which the 95-character model above rarely does.
   */
  @Test
  void greedyBatchKeyHoldsEverySettingThatChangesTheOutput() throws Exception {
    CharTokenizer ab = CharTokenizer.of("ab");
    try (NDManager mgr = NDManager.newBaseManager()) {
      LlamaModel small = LlamaModel.init(Presets.get("test", ab.vocabSize()), 5, mgr);
      int eos = ab.eosId().orElseThrow();
      for (NDArray w : small.parameters().values()) { // a louder EOS row: greedy decoding picks EOS for some prompts
        if (w.getShape().dimension() == 2 && w.getShape().get(0) == ab.vocabSize()) {
          w.set(new NDIndex(eos), w.get(eos).mul(30));
        }
      }
      Completions c = new Completions(small, new Generator(small, ab), ServeLimits.defaults(), true);
      String prompt = promptThatStopsEarly(c);
      Completions.Request stops = greedy(c, prompt, false);
      Completions.Request runsOn = greedy(c, prompt, true);
      ModelWorker.BatchRunner<Completions.Request, Completions.Result> runner = c::run;
      try (ModelWorker w = new ModelWorker(8, 64, 300)) { // a long window: both are queued within it
        Future<Completions.Result> first = w.submit(runner, stops.batchKey(), stops, 1);
        Future<Completions.Result> second = w.submit(runner, runsOn.batchKey(), runsOn, 1);
        JsonNode a = first.get(60, java.util.concurrent.TimeUnit.SECONDS).choices().get(0);
        JsonNode b = second.get(60, java.util.concurrent.TimeUnit.SECONDS).choices().get(0);
        System.out.println("probe | greedy, ignore_eos false then true, queued together | " + a.path("finish_reason")
            + " " + first.get().completionTokens() + " tokens; " + b.path("finish_reason") + " "
            + second.get().completionTokens() + " tokens");
        assertEquals("stop", a.path("finish_reason").asText());
        assertEquals("length", b.path("finish_reason").asText(), "ignore_eos was honoured");
        assertEquals(40, second.get().completionTokens());
      }
      assertNotEquals(stops.batchKey(), runsOn.batchKey());
    }
  }

  static Completions.Request greedy(Completions c, String prompt, boolean ignoreEos) {
    return c.parse(Jsonl.MAPPER.createObjectNode().put("prompt", prompt).put("max_tokens", 40).put("temperature", 0)
        .put("ignore_eos", ignoreEos));
  }

  /** A prompt over "ab" whose greedy completion ends with EOS before 40 tokens: one decode over 64 candidates. */
  static String promptThatStopsEarly(Completions c) {
    List<Completions.Request> all = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      all.add(greedy(c, Integer.toBinaryString(i | 64).replace('0', 'a').replace('1', 'b'), false));
    }
    List<Completions.Result> out = c.run(all.get(0).batchKey(), all);
    for (int i = 0; i < all.size(); i++) {
      if (out.get(i).choices().get(0).path("finish_reason").asText().equals("stop")) {
        return all.get(i).prompts().get(0);
      }
    }
    throw new AssertionError("no prompt stops early on this model");
  }

  /**
   * A request that times out is cancelled on the model thread: the next request is answered at once (not after the
   * abandoned job), and /health answers while the model is busy.
   */
  @Test
  void timedOutRequestStopsOnTheModelThread() throws Exception {
    try (GenrmServer s = new GenrmServer(model, gen, ServeFaultTest::verifiers, GenrmServer.Options.loopback(0)
        .withLimits(limits(1_000, 2_000))).start()) {
      String big = "{\"prompt\":[" + "\"a\",".repeat(7) + "\"a\"],\"max_tokens\":1000,\"temperature\":1,\"n\":16,"
          + "\"ignore_eos\":true}";
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        long t0 = System.nanoTime();
        Future<Raw> slow = pool.submit(() -> send(s, request("POST", "/v1/completions", Map.of(),
            big.getBytes(StandardCharsets.UTF_8)), 30_000));
        Thread.sleep(300);
        long h0 = System.nanoTime();
        Raw health = send(s, request("GET", "/health", Map.of(), null), 10_000);
        double healthS = (System.nanoTime() - h0) / 1e9;
        Raw timedOut = slow.get(30, java.util.concurrent.TimeUnit.SECONDS);
        long n0 = System.nanoTime();
        Raw next = send(s, request("POST", "/v1/completions", Map.of(),
            "{\"prompt\":\"a\",\"max_tokens\":2,\"temperature\":0}".getBytes(StandardCharsets.UTF_8)), 30_000);
        double nextS = (System.nanoTime() - n0) / 1e9;
        System.out.println("probe | 128k-token job, 1 s timeout | " + timedOut.line() + " after "
            + (n0 - t0) / 1e9 + " s");
        System.out.println("probe | /health while it runs | " + health.line() + " in " + healthS + " s");
        System.out.println("probe | next small request | " + next.line() + " in " + nextS + " s");
        assertEquals(503, timedOut.status(), timedOut.line());
        assertEquals(200, health.status());
        assertTrue(healthS < 1, "/health took " + healthS + " s");
        assertEquals(200, next.status(), next.line());
        assertTrue(nextS < 2, "the next request waited " + nextS + " s behind an abandoned job");
        assertTrue(s.metrics().render().contains("genrm_model_cancelled_requests_total 1"), s.metrics().render());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /**
   * Stopping the server (SIGTERM in a rolling update) answers the request in flight before the model goes away; new
   * connections are refused meanwhile.
   */
  @Test
  void closeAnswersTheRequestInFlightFirst() throws Exception {
    GenrmServer s = new GenrmServer(model, gen, ServeFaultTest::verifiers, GenrmServer.Options.loopback(0)
        .withLimits(limits(30_000, 2_000))).start();
    // 32 x 1,000 tokens, ~3.5 s on 2 idle cores (well inside the 25 s drain): still running when close() comes 300 ms
    // in, where 16 x 400 tokens took 0.3 s on an idle machine and had ended first
    String slowBody = "{\"prompt\":[\"a\",\"a\"],\"max_tokens\":1000,\"temperature\":1,\"n\":16,"
        + "\"ignore_eos\":true}";
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      long t0 = System.nanoTime();
      Future<Raw> slow = pool.submit(() -> send(s, request("POST", "/v1/completions", Map.of(),
          slowBody.getBytes(StandardCharsets.UTF_8)), 30_000));
      Thread.sleep(300);
      long c0 = System.nanoTime();
      s.close();
      double closeS = (System.nanoTime() - c0) / 1e9;
      Raw answered = slow.get(30, java.util.concurrent.TimeUnit.SECONDS);
      System.out.println("probe | close() with a 32 x 1,000-token job in flight | " + answered.line() + "; close took "
          + closeS + " s, the job " + (System.nanoTime() - t0) / 1e9 + " s");
      assertEquals(200, answered.status(), answered.line());
      assertTrue(closeS > 0.05, "close() waited for the job (" + closeS + " s): it was in flight");
    } finally {
      pool.shutdownNow();
      s.close();
    }
  }
}
