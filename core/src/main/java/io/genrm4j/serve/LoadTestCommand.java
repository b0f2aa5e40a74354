package io.genrm4j.serve;

import io.genrm4j.util.UserException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code genrm loadtest}: a bounded load generator for a genrm server on this machine (loopback only). */
@Command(name = "loadtest", mixinStandardHelpOptions = true,
    description = "Sends at most --requests requests for at most --duration-s seconds with --concurrency workers "
        + "to a loopback genrm server; reports throughput and latency p50/p90/p99.")
public final class LoadTestCommand implements Callable<Integer> {
  @Option(names = "--url", required = true, description = "server base URL, e.g. http://127.0.0.1:8080") String url;
  @Option(names = "--requests", defaultValue = "200") int requests;
  @Option(names = "--concurrency", defaultValue = "8") int concurrency;
  @Option(names = "--duration-s", defaultValue = "60") double durationS;
  @Option(names = "--route", defaultValue = "verify", description = "verify|completions|rerank|reward (/get_reward)") String route;
  @Option(names = "--candidates", defaultValue = "4", description = "solutions per verify request") int candidates;
  @Option(names = "--max-tokens", defaultValue = "16", description = "max_tokens per completion") int maxTokens;
  @Option(names = "--temperature", defaultValue = "0", description = "completion temperature (0 = greedy, batchable)") double temperature;
  @Option(names = "--api-key", description = "bearer token (else env GENRM_API_KEY)") String apiKey;

  @Override
  public Integer call() throws Exception {
    URI base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    requireLoopback(base);
    if (requests < 1 || requests > 100_000 || concurrency < 1 || concurrency > 256 || durationS <= 0 || durationS > 3600) {
      throw new UserException("--requests in [1, 100000], --concurrency in [1, 256], --duration-s in (0, 3600]");
    }
    String path;
    String body;
    switch (route) {
      case "verify", "rerank" -> {
        path = "/v1/" + route;
        StringBuilder s = new StringBuilder("{\"question\":\"What is 2 + 3?\",\"solutions\":[");
        for (int i = 0; i < candidates; i++) {
          s.append(i == 0 ? "" : ",").append("\"2 + 3 = ").append(4 + i % 3).append(". The answer is ")
              .append(4 + i % 3).append(".\"");
        }
        body = s.append("]}").toString();
      }
      case "reward" -> { // OpenRLHF's shape: query = prompt + response, one prompt's candidates per request
        path = "/get_reward";
        StringBuilder q = new StringBuilder("{\"query\":[");
        StringBuilder p = new StringBuilder("\"prompts\":[");
        for (int i = 0; i < candidates; i++) {
          String prompt = "What is 2 + 3?";
          q.append(i == 0 ? "" : ",").append("\"").append(prompt).append(" 2 + 3 = ").append(4 + i % 3)
              .append(". The answer is ").append(4 + i % 3).append(".\"");
          p.append(i == 0 ? "" : ",").append("\"").append(prompt).append("\"");
        }
        body = q.append("],").append(p).append("]}").toString();
      }
      case "completions" -> {
        path = "/v1/completions";
        body = "{\"prompt\":\"Q: What is 2 + 3?\\nA:\",\"max_tokens\":" + maxTokens + ",\"temperature\":"
            + temperature + ",\"seed\":1}";
      }
      default -> throw new UserException("--route must be verify, rerank, reward or completions");
    }
    String key = apiKey != null ? apiKey : System.getenv("GENRM_API_KEY");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    long deadline = System.nanoTime() + (long) (durationS * 1e9);
    AtomicInteger issued = new AtomicInteger();
    List<Double> lat = Collections.synchronizedList(new ArrayList<>());
    Map<String, Integer> statuses = Collections.synchronizedMap(new TreeMap<>());
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long t0 = System.nanoTime();
    List<Future<?>> fs = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      fs.add(pool.submit(() -> {
        while (System.nanoTime() < deadline && issued.getAndIncrement() < requests) {
          long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
          HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofMillis(left))
              .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
          if (key != null && !key.isEmpty()) {
            b.header("Authorization", "Bearer " + key);
          }
          long s = System.nanoTime();
          String st;
          try {
            st = Integer.toString(http.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
          } catch (java.net.http.HttpTimeoutException e) {
            st = "cut-at-deadline";
          } catch (Exception e) {
            st = "io-error";
          }
          double ms = (System.nanoTime() - s) / 1e6;
          if (st.equals("200")) {
            lat.add(ms);
          }
          statuses.merge(st, 1, Integer::sum);
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    double wall = (System.nanoTime() - t0) / 1e9;
    List<Double> ok = new ArrayList<>(lat);
    Collections.sort(ok);
    int total = statuses.values().stream().mapToInt(Integer::intValue).sum();
    System.out.printf("route=%s requests=%d concurrency=%d wall_s=%.2f%n", route, total, concurrency, wall);
    System.out.printf("statuses=%s%n", statuses);
    System.out.printf("throughput_ok_rps=%.2f%n", ok.size() / wall);
    if (!ok.isEmpty()) {
      System.out.printf("latency_ms p50=%.1f p90=%.1f p99=%.1f max=%.1f%n", pct(ok, 50), pct(ok, 90), pct(ok, 99),
          ok.get(ok.size() - 1));
    }
    return ok.size() == total ? 0 : 1;
  }

  static double pct(List<Double> sorted, double p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  /** Refuses any host that does not resolve to a loopback address only. */
  static void requireLoopback(URI u) {
    String host = u.getHost();
    if (!"http".equals(u.getScheme()) || host == null) {
      throw new UserException("--url must be http://127.0.0.1:PORT (loopback only)");
    }
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          throw new UserException("--url host " + host + " is not loopback; loadtest only targets this machine");
        }
      }
    } catch (java.net.UnknownHostException e) {
      throw new UserException("--url host " + host + " does not resolve");
    }
  }
}
