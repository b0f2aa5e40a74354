package io.genrm4j.serve;

import io.genrm4j.task.Prompts;
import io.genrm4j.verify.GenRmDirect;
import io.genrm4j.verify.VerifierKind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.TestTokenizers;
import io.genrm4j.serve.client.OpenAiClient;
import io.genrm4j.serve.client.OpenAiException;
import io.genrm4j.serve.client.PYes;
import io.genrm4j.serve.client.PYesUnavailableException;
import io.genrm4j.serve.client.RationaleSynthesizer;
import io.genrm4j.util.Jsonl;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our client against our server over loopback HTTP, on a tiny random-init model. */
class ServeTest {
  static NDManager root;
  static LlamaModel model;
  static CharTokenizer tok;
  static Generator gen;
  static GenrmServer server;
  static GenrmServer strict; // API key, neither logprob_token_ids nor /v1/score, 1 s request timeout
  static VerifierFactory factory;
  static OpenAiClient client;
  static final String ONLY_GENRM = "only genrm in this test";
  /** The kinds the test servers' factory was asked for. */
  static final Set<VerifierKind> opened = ConcurrentHashMap.newKeySet();
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final String KEY = "s3cret-token";

  @BeforeAll
  static void start() {
    tok = TestTokenizers.printableAscii();
    root = NDManager.newBaseManager();
    model = LlamaModel.init(Presets.get("test", tok.vocabSize()), 11, root);
    gen = new Generator(model, tok);
    factory = (kind, votes) -> {
      opened.add(kind);
      if (kind != VerifierKind.GENRM) {
        throw ApiError.badRequest(ONLY_GENRM);
      }
      return new GenRmDirect(model, gen.tokenizer(), Prompts.Format.PAPER);
    };
    ServeLimits wide = ServeLimits.defaults().withMaxLogprobs(128).withRequestTimeoutMs(30_000)
        .withIdleTimeoutMs(10_000).withQueueCapacity(256).withMaxBatchRows(64).withBatchWindowMs(5);
    server = new GenrmServer(model, gen, factory, GenrmServer.Options.loopback(0).withLimits(wide)
        .withRewardSeparator("\nA: ")).start();
    strict = new GenrmServer(model, gen, factory, GenrmServer.Options.loopback(0).withApiKey(KEY)
        .withLogprobTokenIds(false).withScoreRoute(false).withLimits(wide.withRequestTimeoutMs(1000))).start();
    client = new OpenAiClient(server.baseUrl(), null, Duration.ofSeconds(30), 16, 0);
  }

  @AfterAll
  static void stop() {
    server.close();
    strict.close();
    model.close();
    root.close();
  }

  record Resp(int status, JsonNode body, String raw) {}

  static Resp call(GenrmServer s, String method, String path, String body, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).timeout(Duration.ofSeconds(60));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode j = null;
    try {
      j = Jsonl.MAPPER.readTree(r.body());
    } catch (Exception ignored) {
      // not JSON (metrics)
    }
    return new Resp(r.statusCode(), j, r.body());
  }

  static Resp post(String path, String body) throws Exception {
    return call(server, "POST", path, body, null);
  }

  static void assertError(Resp r, int status) {
    assertEquals(status, r.status(), r.raw());
    assertNotNull(r.body(), "error body is JSON: " + r.raw());
    assertTrue(r.body().path("error").path("message").isTextual(), r.raw());
    assertTrue(r.body().path("error").path("type").isTextual(), r.raw());
    assertFalse(r.raw().contains("at io.genrm4j"), "no stack trace");
  }

  @Test
  void completionResponseHasTheOpenAiShape() throws Exception {
    Resp r = post("/v1/completions", "{\"model\":\"x\",\"prompt\":[\"Q: 1+1?\\nA:\",\"Hi\"],\"max_tokens\":5,"
        + "\"temperature\":0.8,\"top_p\":0.9,\"top_k\":20,\"n\":2,\"seed\":3,\"stop\":\"\\n\"}");
    assertEquals(200, r.status(), r.raw());
    JsonNode b = r.body();
    assertTrue(b.path("id").asText().startsWith("cmpl-"));
    assertEquals("text_completion", b.path("object").asText());
    assertTrue(b.path("created").isIntegralNumber());
    assertEquals("genrm", b.path("model").asText());
    assertEquals(4, b.path("choices").size());
    int completion = 0;
    for (int i = 0; i < 4; i++) {
      JsonNode c = b.path("choices").get(i);
      assertEquals(i, c.path("index").asInt());
      assertTrue(c.path("text").isTextual());
      assertFalse(c.path("text").asText().contains("\n"), "stop string cut");
      assertTrue(c.has("logprobs") && c.get("logprobs").isNull());
      assertTrue(List.of("stop", "length").contains(c.path("finish_reason").asText()));
      completion += c.path("text").asText().length(); // char tokenizer: one token per char unless a stop matched
    }
    JsonNode u = b.path("usage");
    assertEquals(("Q: 1+1?\nA:".length() + 1) + ("Hi".length() + 1), u.path("prompt_tokens").asInt());
    assertTrue(u.path("completion_tokens").asInt() >= completion);
    assertEquals(u.path("prompt_tokens").asInt() + u.path("completion_tokens").asInt(), u.path("total_tokens").asInt());
    JsonNode models = call(server, "GET", "/v1/models", null, null).body();
    assertEquals("list", models.path("object").asText());
    assertEquals("genrm", models.path("data").get(0).path("id").asText());
  }

  @Test
  void seededSamplingIsReproducible() {
    OpenAiClient.Params p = OpenAiClient.Params.sample(12, 1.0, 3, 42L);
    List<OpenAiClient.Choice> a = client.complete("Q: 7*6?\nA:", p);
    List<OpenAiClient.Choice> b = client.complete("Q: 7*6?\nA:", p);
    assertEquals(3, a.size());
    for (int i = 0; i < 3; i++) {
      assertEquals(a.get(i).text(), b.get(i).text());
    }
    List<String> other = client.complete("Q: 7*6?\nA:", OpenAiClient.Params.sample(12, 1.0, 3, 43L)).stream()
        .map(OpenAiClient.Choice::text).toList();
    assertFalse(other.equals(a.stream().map(OpenAiClient.Choice::text).toList()), "another seed, other samples");
  }

  @Test
  void echoWithLogprobsReturnsPromptLogprobsFirstNull() {
    String prompt = "The answer is 42.";
    OpenAiClient.Choice c = client.complete(prompt, OpenAiClient.Params.greedy(0).withLogprobs(3).withEcho(true)).get(0);
    assertEquals(prompt, c.text());
    JsonNode lp = c.logprobs();
    int[] ids = gen.promptIds(prompt); // BOS + chars
    assertEquals(ids.length, lp.path("tokens").size());
    assertEquals("<s>", lp.path("tokens").get(0).asText());
    assertTrue(lp.path("token_logprobs").get(0).isNull());
    assertTrue(lp.path("top_logprobs").get(0).isNull());
    float[] ref = Scoring.tokenLogProbs(model, 0, List.of(ids))[0]; // log p(ids[i+1] | ids[..i])
    for (int i = 1; i < ids.length; i++) {
      assertEquals(String.valueOf(prompt.charAt(i - 1)), lp.path("tokens").get(i).asText());
      assertEquals(ref[i - 1], lp.path("token_logprobs").get(i).asDouble(), 1e-4);
      assertEquals(i - 1, lp.path("text_offset").get(i).asInt());
      JsonNode top = lp.path("top_logprobs").get(i);
      assertTrue(top.size() >= 3 && top.size() <= 4, top.toString());
      double best = top.elements().next().asDouble();
      for (Iterator<JsonNode> it = top.elements(); it.hasNext(); ) {
        assertTrue(it.next().asDouble() <= best + 1e-9, "sorted best first");
      }
    }
    // generated tokens: greedy picks the argmax, so the sampled token tops its own alternatives
    OpenAiClient.Choice g = client.complete(prompt, OpenAiClient.Params.greedy(4).withLogprobs(2)).get(0);
    JsonNode glp = g.logprobs();
    assertEquals(glp.path("tokens").size(), glp.path("token_logprobs").size());
    for (int i = 0; i < glp.path("tokens").size(); i++) {
      JsonNode top = glp.path("top_logprobs").get(i);
      assertEquals(glp.path("tokens").get(i).asText(), top.fieldNames().next());
      assertEquals(top.elements().next().asDouble(), glp.path("token_logprobs").get(i).asDouble(), 1e-6);
    }
  }

  @Test
  void verifyAndRerank() throws Exception {
    String body = "{\"question\":\"What is 2+3?\",\"solutions\":[\"2+3=5. The answer is 5.\",\"2+3=6. The answer is 6.\","
        + "\"The answer is 7.\"]}";
    Resp v = post("/v1/verify", body);
    assertEquals(200, v.status(), v.raw());
    assertEquals("direct", v.body().path("mode").asText());
    assertTrue(v.body().path("timing_ms").isNumber());
    JsonNode scores = v.body().path("scores");
    assertEquals(3, scores.size());
    List<String> sols = List.of("2+3=5. The answer is 5.", "2+3=6. The answer is 6.", "The answer is 7.");
    var direct = new GenRmDirect(model, gen.tokenizer(), Prompts.Format.PAPER).score("What is 2+3?", sols);
    for (int i = 0; i < 3; i++) {
      JsonNode s = scores.get(i);
      assertEquals(i, s.path("index").asInt());
      assertEquals(direct.get(i).score(), s.path("score").asDouble(), 1e-6);
      assertEquals(s.path("p_yes").asDouble() + s.path("p_no").asDouble(), s.path("mass").asDouble(), 1e-9);
      assertTrue(s.path("votes").isArray());
      assertTrue(s.path("rationales").isMissingNode(), "only when asked for");
    }
    // asked for, each record lists its rationales' text (none for a direct verifier); not a boolean: 400
    Resp withText = post("/v1/verify", body.replace("{", "{\"rationales\":true,"));
    assertEquals(200, withText.status(), withText.raw());
    withText.body().path("scores").forEach(s -> assertEquals(0, s.path("rationales").size(), s.toString()));
    assertTrue(withText.body().path("scores").get(0).path("rationales").isArray());
    assertError(post("/v1/verify", body.replace("{", "{\"rationales\":\"yes\",")), 400);
    Resp r = post("/v1/rerank", body);
    assertEquals(200, r.status(), r.raw());
    int best = 0;
    JsonNode rs = r.body().path("scores");
    for (int i = 1; i < 3; i++) {
      if (rs.get(i).path("score").asDouble() > rs.get(best).path("score").asDouble()) {
        best = i;
      }
    }
    assertEquals(best, r.body().path("best_index").asInt());
    assertEquals(sols.get(best), r.body().path("best_solution").asText());
    JsonNode ranking = r.body().path("ranking");
    assertEquals(3, ranking.size());
    for (int i = 1; i < 3; i++) {
      assertTrue(rs.get(ranking.get(i - 1).asInt()).path("score").asDouble()
          >= rs.get(ranking.get(i).asInt()).path("score").asDouble());
    }
    assertError(post("/v1/verify", "{\"question\":\"q\",\"solutions\":[\"a\"],\"mode\":\"cot\"}"), 400);
    assertError(post("/v1/verify", "{\"question\":\"q\",\"solutions\":[\"a\"],\"mode\":\"nope\"}"), 400);
  }

  @Test
  void getRewardScoresEachQueryAsVerifyWouldInOpenRlhfsShape() throws Exception {
    String q1 = "What is 2+3?";
    String q2 = "What is 4+4?";
    List<String> s1 = List.of("2+3=5. The answer is 5.", "The answer is 7.");
    List<String> s2 = List.of("4+4=8. The answer is 8.");
    var direct = new GenRmDirect(model, gen.tokenizer(), Prompts.Format.PAPER);
    double[] want = {direct.score(q1, s1).get(0).score(), direct.score(q2, s2).get(0).score(),
        direct.score(q1, s1).get(1).score()};
    // with "prompts": each query is its prompt + response, in any order of prompts
    ObjectNode req = Jsonl.MAPPER.createObjectNode();
    req.putArray("query").add(q1 + s1.get(0)).add(q2 + s2.get(0)).add(q1 + s1.get(1));
    req.putArray("prompts").add(q1).add(q2).add(q1);
    req.putArray("labels").add("").add("").add(""); // OpenRLHF sends these too; unused
    Resp r = post("/get_reward", Jsonl.toJson(req));
    assertEquals(200, r.status(), r.raw());
    JsonNode rewards = r.body().path("rewards");
    assertEquals(3, rewards.size());
    for (int i = 0; i < 3; i++) {
      assertEquals(want[i], rewards.get(i).asDouble(), 1e-6, "reward " + i);
      assertEquals(want[i], r.body().path("scores").get(i).asDouble(), 1e-6, "score " + i);
    }
    // without "prompts": split at the server's --reward-separator ("\nA: " here)
    ObjectNode split = Jsonl.MAPPER.createObjectNode();
    split.putArray("query").add(q1 + "\nA: " + s1.get(0));
    Resp rs = post("/get_reward", Jsonl.toJson(split));
    assertEquals(200, rs.status(), rs.raw());
    assertEquals(want[0], rs.body().path("rewards").get(0).asDouble(), 1e-6);
    // client mistakes are 400s naming the field
    ObjectNode wrong = Jsonl.MAPPER.createObjectNode();
    wrong.putArray("query").add("something else");
    wrong.putArray("prompts").add(q1);
    assertError(post("/get_reward", Jsonl.toJson(wrong)), 400);
    assertError(post("/get_reward", "{\"query\":[\"no separator here\"]}"), 400);
    assertError(post("/get_reward", "{\"query\":[\"a\"],\"prompts\":[\"a\",\"b\"]}"), 400);
    assertError(post("/get_reward", "{\"query\":[]}"), 400);
    assertError(post("/get_reward", "{\"query\":\"x\"}"), 400);
  }

  /**
   * The names a user types for a verifier ({@code genrm verify --mode}, {@code genrm train verifier --kind},
   * {@code genrm serve --mode}) and the names the server takes in "mode" are one set: the CLI accepts each of them
   * and refuses any other; the server hands each to its verifier factory as the kind it names, and refuses any
   * other with every accepted name in the message.
   */
  @Test
  void theCliAndTheServerAcceptTheSameVerifierNames(@TempDir Path tmp) throws Exception {
    picocli.CommandLine cl = io.genrm4j.cli.Main.commandLine();
    List<String> names = candidates(cl.getSubcommands().get("verify"), "--mode");
    assertEquals(names, candidates(cl.getSubcommands().get("serve"), "--mode"));
    assertEquals(names, candidates(cl.getSubcommands().get("train").getSubcommands().get("verifier"), "--kind"));
    assertEquals(VerifierKind.values().length + 3, names.size(), "the ids and the aliases direct, cot, judge");
    Path cands = tmp.resolve("c.jsonl");
    Files.writeString(cands, "{\"problem_id\":\"p\",\"candidate_id\":\"c\",\"question\":\"q\",\"text\":\"t\"}\n");
    for (String name : names) {
      // the CLI gets past the name to the next thing it needs
      assertTrue(cliError("verify", "--mode", name, "--input", cands.toString(), "--out", tmp.resolve("s").toString())
          .contains("--model is required"), name);
      Resp r = post("/v1/verify", "{\"question\":\"q\",\"solutions\":[\"a\"],\"mode\":\"" + name + "\"}");
      VerifierKind kind = VerifierKind.parse(name);
      if (kind == VerifierKind.GENRM) {
        assertEquals(200, r.status(), r.raw());
        assertEquals(name, r.body().path("mode").asText());
        assertEquals("genrm", r.body().path("kind").asText());
      } else {
        assertError(r, 400);
        assertEquals(ONLY_GENRM, r.body().path("error").path("message").asText(), name);
        assertTrue(opened.contains(kind), name);
      }
    }
    String cli = cliError("verify", "--mode", "nope", "--input", cands.toString(), "--out",
        tmp.resolve("s").toString());
    Resp r = post("/v1/verify", "{\"question\":\"q\",\"solutions\":[\"a\"],\"mode\":\"nope\"}");
    assertError(r, 400);
    String every = "(one of " + String.join(", ", names) + ")";
    assertTrue(cli.strip().endsWith(every), cli);
    assertTrue(r.body().path("error").path("message").asText().endsWith(every), r.raw());
  }

  static List<String> candidates(picocli.CommandLine command, String option) {
    List<String> out = new ArrayList<>();
    command.getCommandSpec().findOption(option).completionCandidates().forEach(out::add);
    return out;
  }

  /** What a CLI run printed on stderr. */
  static String cliError(String... args) {
    picocli.CommandLine cl = io.genrm4j.cli.Main.commandLine();
    java.io.StringWriter err = new java.io.StringWriter();
    cl.setErr(new java.io.PrintWriter(err, true));
    cl.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
    cl.execute(args);
    return err.toString();
  }

  @Test
  void authRequiredExceptHealth() throws Exception {
    assertEquals(200, call(strict, "GET", "/health", null, null).status());
    assertError(call(strict, "GET", "/v1/models", null, null), 401);
    assertError(call(strict, "GET", "/v1/models", null, "wrong"), 401);
    assertError(call(strict, "POST", "/v1/completions", "{\"prompt\":\"a\"}", null), 401);
    assertError(call(strict, "GET", "/metrics", null, null), 401);
    assertEquals(200, call(strict, "GET", "/v1/models", null, KEY).status());
    OpenAiClient ok = new OpenAiClient(strict.baseUrl(), KEY, Duration.ofSeconds(30), 2, 0);
    assertEquals(1, ok.complete("a", OpenAiClient.Params.greedy(2)).size());
    OpenAiClient bad = new OpenAiClient(strict.baseUrl(), null, Duration.ofSeconds(30), 2, 3);
    OpenAiException e = assertThrows(OpenAiException.class, () -> bad.complete("a", OpenAiClient.Params.greedy(2)));
    assertEquals(401, e.status());
  }

  @Test
  void limitsAreEnforced() throws Exception {
    String big = "{\"prompt\":\"" + "a".repeat((1 << 20) + 10) + "\"}";
    assertError(post("/v1/completions", big), 413);
    StringBuilder many = new StringBuilder("{\"question\":\"q\",\"solutions\":[");
    for (int i = 0; i < 65; i++) {
      many.append(i == 0 ? "" : ",").append("\"s\"");
    }
    assertError(post("/v1/verify", many + "]}"), 400);
    assertError(post("/v1/rerank", "{\"question\":\"q\",\"solutions\":[\"a\"],\"votes\":65}"), 400);
    assertError(post("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":1025}"), 400);
    assertError(post("/v1/completions", "{\"prompt\":\"a\",\"n\":17}"), 400);
    assertError(post("/v1/completions", "{\"prompt\":\"a\",\"logprobs\":129}"), 400);
    assertError(post("/v1/completions", "{\"prompt\":\"" + "a".repeat(1020) + "\",\"max_tokens\":10}"), 400);
    // a job longer than the request timeout: 503 with a JSON error, and the server stays usable
    Resp slow = call(strict, "POST", "/v1/completions",
        "{\"prompt\":[" + "\"a\",".repeat(7) + "\"a\"],\"max_tokens\":1000,\"temperature\":1,\"n\":16,\"ignore_eos\":true}", KEY);
    assertError(slow, 503);
    assertEquals("timeout", slow.body().path("error").path("type").asText());
  }

  @Test
  void malformedBodiesAre400WithAMessage() throws Exception {
    for (String bad : new String[] {"{not json", "", "[]", "\"str\"", "{\"prompt\":5}", "{\"prompt\":[1,2]}",
        "{}", "{\"prompt\":\"a\",\"max_tokens\":\"ten\"}", "{\"prompt\":\"a\",\"temperature\":-1}",
        "{\"prompt\":\"a\",\"stop\":[1]}", "{\"prompt\":\"caf\u00e9\"}", "{\"prompt\":\"a\",\"top_p\":0}",
        "{\"prompt\":\"a\",\"stream\":true}", "{\"prompt\":\"a\",\"echo\":\"yes\"}",
        "{\"prompt\":\"a\",\"logprob_token_ids\":[999999],\"logprobs\":1}"}) {
      assertError(post("/v1/completions", bad), 400);
    }
    for (String bad : new String[] {"{\"solutions\":[\"a\"]}", "{\"question\":\"q\"}", "{\"question\":\"q\",\"solutions\":[]}",
        "{\"question\":\"q\",\"solutions\":\"a\"}", "{\"question\":1,\"solutions\":[\"a\"]}", "{\"question\":\"q\",\"solutions\":[\"\u00e9\"]}"}) {
      assertError(post("/v1/verify", bad), 400);
    }
    assertError(call(server, "GET", "/nope", null, null), 404);
  }

  @Test
  void concurrentRequestsMatchSequentialOnes() throws Exception {
    List<Callable<String>> jobs = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      final int k = i;
      jobs.add(() -> {
        if (k % 4 == 3) {
          Resp r = post("/v1/verify", "{\"question\":\"Q" + k + "\",\"solutions\":[\"A" + k + "\",\"B\"]}");
          return r.body().path("scores").get(0).path("score").asText().substring(0, 8)
              + r.body().path("scores").get(1).path("score").asText().substring(0, 8);
        }
        OpenAiClient.Params p = k % 2 == 0 ? OpenAiClient.Params.greedy(8)
            : OpenAiClient.Params.sample(8, 1.0, 2, (long) k);
        return String.join("|", client.complete("Prompt " + k + ":", p).stream().map(OpenAiClient.Choice::text).toList());
      });
    }
    List<String> seq = new ArrayList<>();
    for (Callable<String> j : jobs) {
      seq.add(j.call());
    }
    long before = Long.parseLong(metric("genrm_model_batches_total"));
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<String>> fs = pool.invokeAll(jobs);
    pool.shutdown();
    for (int i = 0; i < 16; i++) {
      assertEquals(seq.get(i), fs.get(i).get(), "request " + i);
    }
    long batches = Long.parseLong(metric("genrm_model_batches_total")) - before;
    assertTrue(batches <= 16, "16 requests ran in " + batches + " model batches");
  }

  static String metric(String name) throws Exception {
    for (String l : call(server, "GET", "/metrics", null, null).raw().split("\n")) {
      if (l.startsWith(name + " ")) {
        return l.substring(name.length() + 1).trim();
      }
    }
    throw new AssertionError("no metric " + name);
  }

  @Test
  void metricsArePrometheusText() throws Exception {
    post("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":1}");
    post("/v1/completions", "{bad");
    String m = call(server, "GET", "/metrics", null, null).raw();
    assertTrue(m.contains("genrm_http_requests_total{route=\"/v1/completions\",status=\"200\"}"), m);
    assertTrue(m.contains("genrm_http_requests_total{route=\"/v1/completions\",status=\"400\"}"), m);
    assertTrue(m.contains("genrm_http_request_duration_seconds_bucket{route=\"/v1/completions\",le=\"+Inf\"}"), m);
    assertTrue(m.contains("genrm_http_errors_total{route=\"/v1/completions\",type=\"invalid_request_error\"}"), m);
  }

  static OpenAiClient.Labels yn() {
    return new OpenAiClient.Labels("Y", "N", List.of("Y", "y"), List.of("N", "n"));
  }

  /** Requests the server has answered on a route, any status (from /metrics). */
  static long served(String route) throws Exception {
    long n = 0;
    for (String l : call(server, "GET", "/metrics", null, null).raw().split("\n")) {
      if (l.startsWith("genrm_http_requests_total{route=\"" + route + "\"")) {
        n += Long.parseLong(l.substring(l.lastIndexOf(' ') + 1).trim());
      }
    }
    return n;
  }

  @Test
  void pYesExactThroughScoreRouteOrLogprobTokenIdsAndTopkFallback() throws Exception {
    String prompt = "Is 2+2=4 correct (Y/N)? ";
    float[] lp = Scoring.nextTokenLogProbs(model, 0, gen.promptIds(prompt));
    double y = Math.exp(lp[tok.idOf('Y')]);
    double n = Math.exp(lp[tok.idOf('N')]);
    double ly = Math.exp(lp[tok.idOf('y')]);
    double ln = Math.exp(lp[tok.idOf('n')]);

    // a server with SGLang's /v1/score: the client probes it once, then reads p(Yes) there, not on /v1/completions
    OpenAiClient sglangLike = new OpenAiClient(server.baseUrl(), null, Duration.ofSeconds(30), 2, 0).withLabels(yn());
    long scores0 = served("/v1/score");
    long completions0 = served("/v1/completions");
    PYes viaScore = sglangLike.pYes(prompt);
    assertEquals(PYes.EXACT, viaScore.method());
    assertEquals(y, viaScore.pYes(), 1e-5);
    assertEquals(n, viaScore.pNo(), 1e-5);
    assertEquals(y / (y + n), viaScore.score(), 1e-5);
    // several prompts share one request, each scored as if alone
    List<String> prompts = List.of(prompt, "Is 3+3=7 correct (Y/N)? ", "Q");
    List<PYes> batch = sglangLike.pYesAll(prompts);
    for (int i = 0; i < prompts.size(); i++) {
      float[] l = Scoring.nextTokenLogProbs(model, 0, gen.promptIds(prompts.get(i)));
      assertEquals(Math.exp(l[tok.idOf('Y')]), batch.get(i).pYes(), 1e-5, prompts.get(i));
      assertEquals(Math.exp(l[tok.idOf('N')]), batch.get(i).pNo(), 1e-5, prompts.get(i));
    }
    assertEquals(3, served("/v1/score") - scores0, "the probe, one read, one read of three prompts");
    assertEquals(0, served("/v1/completions") - completions0);

    // a server without /v1/score (vLLM): vLLM's logprob_token_ids, as exact
    try (GenrmServer vllmLike = new GenrmServer(model, gen, factory, GenrmServer.Options.loopback(0)
        .withScoreRoute(false)).start()) {
      PYes viaIds = new OpenAiClient(vllmLike.baseUrl(), null, Duration.ofSeconds(30), 2, 0).withLabels(yn())
          .pYes(prompt);
      assertEquals(PYes.EXACT, viaIds.method());
      assertEquals(y, viaIds.pYes(), 1e-5);
      assertEquals(n, viaIds.pNo(), 1e-5);
    }

    // the fallback over our server's top-k path: every variant visible when k covers the vocabulary
    PYes all = new OpenAiClient(server.baseUrl(), null, Duration.ofSeconds(30), 2, 0).withLabels(yn())
        .withExact(false).withTopK(128).pYes(prompt);
    assertEquals(PYes.TOPK_FALLBACK, all.method());
    assertNull(all.missing());
    assertEquals(y + ly, all.pYes(), 1e-5);
    assertEquals(n + ln, all.pNo(), 1e-5);

    // a server with neither exact route: the client notices and falls back, flagged
    PYes ignored = new OpenAiClient(strict.baseUrl(), KEY, Duration.ofSeconds(30), 2, 0).withLabels(yn())
        .withTopK(128).pYes(prompt);
    assertEquals(PYes.TOPK_FALLBACK, ignored.method());
    assertEquals(all.score(), ignored.score(), 1e-6);

    // with a small top-k, a label may drop out: flagged as missing, the score a bound
    PYes small = new OpenAiClient(server.baseUrl(), null, Duration.ofSeconds(30), 2, 0).withLabels(yn())
        .withExact(false).withTopK(5).withLabels(new OpenAiClient.Labels("Y", "N",
            List.of(topToken(lp)), List.of("\u0000never"))).pYes(prompt);
    assertEquals("no", small.missing());
    assertEquals(1.0, small.score(), 0);
  }

  @Test
  void scoreRouteAnswersInSglangsShape() throws Exception {
    int yes = tok.idOf('Y');
    int no = tok.idOf('N');
    String query = "Is 2+2=4 correct? ";
    List<String> items = List.of("Yes it is. (Y/N) ", "");
    ObjectNode req = Jsonl.MAPPER.createObjectNode().put("model", "anything").put("query", query);
    items.forEach(req.putArray("items")::add);
    req.putArray("label_token_ids").add(yes).add(no);
    Resp raw = post("/v1/score", Jsonl.toJson(req));
    assertEquals(200, raw.status(), raw.raw());
    assertEquals("scoring", raw.body().path("object").asText());
    req.put("apply_softmax", true);
    Resp soft = post("/v1/score", Jsonl.toJson(req));
    req.put("item_first", true);
    Resp first = post("/v1/score", Jsonl.toJson(req));
    for (int i = 0; i < items.size(); i++) {
      float[] lp = Scoring.nextTokenLogProbs(model, 0, gen.promptIds(query + items.get(i)));
      double py = Math.exp(lp[yes]);
      double pn = Math.exp(lp[no]);
      JsonNode r = raw.body().path("scores").get(i);
      assertEquals(py, r.get(0).asDouble(), 1e-5);
      assertEquals(pn, r.get(1).asDouble(), 1e-5);
      assertEquals(py / (py + pn), soft.body().path("scores").get(i).get(0).asDouble(), 1e-5);
      assertEquals(pn / (py + pn), soft.body().path("scores").get(i).get(1).asDouble(), 1e-5);
      float[] flipped = Scoring.nextTokenLogProbs(model, 0, gen.promptIds(items.get(i) + query));
      double fy = Math.exp(flipped[yes]);
      assertEquals(fy / (fy + Math.exp(flipped[no])), first.body().path("scores").get(i).get(0).asDouble(), 1e-5);
    }
    assertEquals(query.length() * 2 + items.get(0).length() + 2, raw.body().path("usage").path("prompt_tokens").asInt());
    // a lone item may be a string, as in SGLang
    Resp one = post("/v1/score", "{\"query\":\"" + query + "\",\"items\":\"\",\"label_token_ids\":[" + yes + "]}");
    assertEquals(200, one.status(), one.raw());
    assertEquals(raw.body().path("scores").get(1).get(0).asDouble(), one.body().path("scores").get(0).get(0).asDouble(),
        1e-6);
    // every client mistake is a 400 naming the problem, never a 500
    String many = "\"a\",".repeat(64) + "\"a\"";
    for (String bad : new String[] {"{\"query\":\"q\",\"items\":[\"a\"]}", "{\"items\":[\"a\"],\"label_token_ids\":[]}",
        "{\"items\":[\"a\"],\"label_token_ids\":[999999]}", "{\"items\":[\"a\"],\"label_token_ids\":[-1]}",
        "{\"items\":[\"a\"],\"label_token_ids\":[[1]]}", "{\"items\":[\"a\"],\"label_token_ids\":\"Y\"}",
        "{\"items\":[[1,2]],\"label_token_ids\":[1]}", "{\"query\":[1,2],\"items\":[\"a\"],\"label_token_ids\":[1]}",
        "{\"label_token_ids\":[1]}", "{\"items\":[],\"label_token_ids\":[1]}", "{\"items\":5,\"label_token_ids\":[1]}",
        "{\"items\":[\"caf\u00e9\"],\"label_token_ids\":[1]}", "{\"items\":[\"a\"],\"label_token_ids\":[1],\"apply_softmax\":1}",
        "{\"items\":[\"" + "a".repeat(2000) + "\"],\"label_token_ids\":[1]}", "{\"items\":[" + many + "],\"label_token_ids\":[1]}"}) {
      assertError(post("/v1/score", bad), 400);
    }
    assertError(call(strict, "POST", "/v1/score", Jsonl.toJson(req), null), 401);
    assertError(call(strict, "POST", "/v1/score", Jsonl.toJson(req), KEY), 404);
  }

  static String topToken(float[] lp) {
    int best = 0;
    for (int i = 1; i < lp.length; i++) {
      if (lp[i] > lp[best]) {
        best = i;
      }
    }
    return tok.decode(new int[] {best}).isEmpty() ? tok.tokenText(best) : tok.decode(new int[] {best});
  }

  @Test
  void pYesFailsLoudlyWhenNoLabelIsVisible() throws Exception {
    OpenAiClient.Labels absent = new OpenAiClient.Labels("Ja", "Nein", List.of("Ja", " Ja"), List.of("Nein", " Nein"));
    OpenAiClient c = new OpenAiClient(server.baseUrl(), null, Duration.ofSeconds(30), 2, 0).withLabels(absent)
        .withExact(false);
    assertThrows(PYesUnavailableException.class, () -> c.pYes("Is it correct? "));
    // exact method: a label that is several tokens is refused, not approximated
    OpenAiClient e = new OpenAiClient(server.baseUrl(), null, Duration.ofSeconds(30), 2, 0).withLabels(absent);
    assertThrows(OpenAiClient.LabelNotSingleTokenException.class, () -> e.pYes("Is it correct? "));
    // a server with neither exact route, labels outside the top-k: one line naming what was tried
    OpenAiClient none = new OpenAiClient(strict.baseUrl(), KEY, Duration.ofSeconds(30), 2, 0).withTopK(3)
        .withLabels(new OpenAiClient.Labels("Y", "N", List.of("\u0000never"), List.of("\u0001never")));
    String msg = assertThrows(PYesUnavailableException.class, () -> none.pYes("Is it correct? ")).getMessage();
    System.out.println("probe | p(Yes) from a server with no exact route | " + msg);
    assertFalse(msg.contains("\n"), msg);
    assertTrue(msg.contains("/v1/score not offered (HTTP 404") && msg.contains("logprob_token_ids ignored"), msg);
  }

  @Test
  void synthesizeIsResumableAndDropsATornLine(@TempDir Path dir) throws Exception {
    Path in = dir.resolve("candidates.jsonl");
    List<ObjectNode> rows = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ObjectNode o = Jsonl.MAPPER.createObjectNode();
      o.put("question", "What is " + i + "+1?").put("question_id", i).put("model_output_id", 0)
          .put("model_output", "The answer is " + (i + 1) + ".").put("answer", i + "+1=<<" + i + "+1>>" + (i + 1)
              + "\n#### " + (i + 1)).put("correctness", 1);
      rows.add(o);
    }
    Jsonl.write(in, rows);
    Path out = dir.resolve("critiques.jsonl");
    OpenAiClient c = new OpenAiClient(server.baseUrl(), null, Duration.ofSeconds(60), 2, 0);
    int[] first = RationaleSynthesizer.run(c, in, out, 2, 0.7, 8, 1);
    assertEquals(3, first[0]);
    assertEquals(3, Files.readAllLines(out).size()); // a random model never reaches a matching verdict: log entries
    int[] again = RationaleSynthesizer.run(c, in, out, 2, 0.7, 8, 1);
    assertEquals(0, again[0], "finished candidates are skipped");
    // a crash mid-write: a torn last line and a partially written candidate (1 of 2 records)
    String kept = "{\"key\":\"0:0\",\"inputs\":\"x\",\"targets\":\"Verification: Is the answer correct (Yes/No)? Yes\","
        + "\"label\":\"Yes\",\"rationale_index\":0,\"rationales_kept\":1}\n";
    String partial = "{\"key\":\"1:0\",\"inputs\":\"x\",\"targets\":\"t\",\"label\":\"Yes\",\"rationale_index\":0,"
        + "\"rationales_kept\":2}\n";
    Files.writeString(out, kept + partial + "{\"key\":\"2:0\",\"inpu");
    int[] resumed = RationaleSynthesizer.run(c, in, out, 2, 0.7, 8, 1);
    assertEquals(2, resumed[0], "the partial and the torn candidate are redone");
    List<String> lines = Files.readAllLines(out);
    assertEquals(kept.strip(), lines.get(0));
    for (String l : lines) {
      Jsonl.MAPPER.readTree(l); // every line parses
    }
    assertEquals(3, lines.size());
  }
  @Test
  void slowClientsAndChunkedOversizedBodies() throws Exception {
    ServeLimits tight = ServeLimits.defaults().withMaxBodyBytes(4096).withRequestTimeoutMs(10_000)
        .withIdleTimeoutMs(500).withQueueCapacity(16).withMaxBatchRows(8).withBatchWindowMs(1);
    try (GenrmServer s = new GenrmServer(model, gen, (m, v) -> new GenRmDirect(model, gen.tokenizer(), Prompts.Format.PAPER),
        GenrmServer.Options.loopback(0).withLimits(tight)).start()) {
      // a client that promises 100 bytes and sends 10 gets a 408 JSON error after the idle timeout
      try (java.net.Socket sock = new java.net.Socket("127.0.0.1", s.port())) {
        sock.setSoTimeout(10_000);
        sock.getOutputStream().write(("POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: 100\r\n\r\n{\"questio").getBytes(StandardCharsets.US_ASCII));
        sock.getOutputStream().flush();
        long t0 = System.nanoTime();
        String full = new String(sock.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        String head = full.length() >= 12 ? full.substring(0, 12) : full;
        double waited = (System.nanoTime() - t0) / 1e9;
        assertTrue(head.startsWith("HTTP/1.1 408"), full);
        assertTrue(full.contains("\"type\":\"request_timeout\""), full);
        assertTrue(waited < 5, "cut after the idle timeout, waited " + waited + " s");
      }
      // a chunked body (no Content-Length) over the limit: 413 JSON
      HttpRequest big = HttpRequest.newBuilder(URI.create(s.baseUrl() + "/v1/completions"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
              ("{\"prompt\":\"" + "a".repeat(10_000) + "\"}").getBytes(StandardCharsets.UTF_8)))).build();
      HttpResponse<String> r = HTTP.send(big, HttpResponse.BodyHandlers.ofString());
      assertEquals(413, r.statusCode(), r.body());
      assertTrue(Jsonl.MAPPER.readTree(r.body()).path("error").path("message").isTextual());
      // the served direct verifier: the authors' prompt, p(" Yes") vs p(" No") teacher-forced
      GenRmDirect dv = new GenRmDirect(model, gen.tokenizer(), Prompts.Format.PAPER);
      double[][] lp = Scoring.continuationLogProbs(model, 0,
          List.of(gen.promptIds(Prompts.Format.PAPER.verifyDirect("What is 1+1?", "The answer is 2."))),
          List.of(tok.encode(" Yes"), tok.encode(" No")));
      var sc = dv.score("What is 1+1?", List.of("The answer is 2.")).get(0);
      assertEquals(Math.exp(lp[0][0]), sc.pYes(), 1e-9);
      assertEquals(Math.exp(lp[0][0]) / (Math.exp(lp[0][0]) + Math.exp(lp[0][1])), sc.score(), 1e-6);
    }
  }
}
