package io.genrm4j.serve.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.genrm4j.util.Jsonl;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The client retries a POST only where that cannot multiply work: 429, 503 with Retry-After, refused connections. */
class OpenAiClientRetryTest {
  /** A loopback server answering every request with {@code status} (after {@code delayMs}); counts the hits. */
  static HttpServer server(int status, String retryAfter, long delayMs, AtomicInteger hits) throws Exception {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.createContext("/", ex -> {
      hits.incrementAndGet();
      try {
        Thread.sleep(delayMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] body = "{\"error\":{\"message\":\"nope\",\"type\":\"x\"}}".getBytes(StandardCharsets.UTF_8);
      if (retryAfter != null) {
        ex.getResponseHeaders().add("Retry-After", retryAfter);
      }
      ex.sendResponseHeaders(status, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    s.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    s.start();
    return s;
  }

  static int postHits(int status, String retryAfter, long delayMs, Duration timeout) throws Exception {
    AtomicInteger hits = new AtomicInteger();
    HttpServer s = server(status, retryAfter, delayMs, hits);
    try {
      OpenAiClient c = new OpenAiClient("http://127.0.0.1:" + s.getAddress().getPort(), null, timeout, 1, 2);
      OpenAiException e = assertThrows(OpenAiException.class,
          () -> c.post("/v1/completions", Jsonl.MAPPER.createObjectNode().put("prompt", "a")));
      System.out.println("probe | client POST vs " + status + (retryAfter != null ? " Retry-After " + retryAfter : "")
          + (delayMs > 0 ? " after " + delayMs + " ms" : "") + " | " + hits.get() + " attempts: " + e.getMessage());
      return hits.get();
    } finally {
      s.stop(0);
    }
  }

  @Test
  void postIsNotRetriedAfterA500OrATimeout() throws Exception {
    assertEquals(1, postHits(500, null, 0, Duration.ofSeconds(5)));
    assertEquals(1, postHits(502, null, 0, Duration.ofSeconds(5)));
    assertEquals(1, postHits(503, null, 0, Duration.ofSeconds(5)), "503 without Retry-After: not known to be safe");
    assertEquals(1, postHits(200, null, 1500, Duration.ofMillis(300)), "timed out: the server may still work on it");
  }

  @Test
  void postIsRetriedWhereSafe() throws Exception {
    assertEquals(3, postHits(429, null, 0, Duration.ofSeconds(5)));
    assertEquals(3, postHits(503, "0", 0, Duration.ofSeconds(5)));
    // nothing listens: the request was never sent, so retrying is safe
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    OpenAiClient c = new OpenAiClient("http://127.0.0.1:" + port, null, Duration.ofSeconds(2), 1, 2);
    long t0 = System.nanoTime();
    OpenAiException e = assertThrows(OpenAiException.class,
        () -> c.post("/v1/completions", Jsonl.MAPPER.createObjectNode().put("prompt", "a")));
    System.out.println("probe | client POST vs a refused connection | " + e.getMessage());
    assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
    assertTrue(System.nanoTime() - t0 > 200e6, "backed off between attempts");
  }
}
