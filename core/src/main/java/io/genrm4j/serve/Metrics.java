package io.genrm4j.serve;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Prometheus text exposition (format 0.0.4): requests per route and status, a latency histogram per route, errors
 * per route and type, and the model queue's batching counters. Routes are the fixed route names (unknown paths
 * are counted as "other"), so label cardinality stays bounded.
 */
public final class Metrics {
  static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

  private static final class Histogram {
    final LongAdder[] counts = new LongAdder[BUCKETS.length];
    final LongAdder count = new LongAdder();
    final DoubleAdder sum = new DoubleAdder();

    Histogram() {
      for (int i = 0; i < counts.length; i++) {
        counts[i] = new LongAdder();
      }
    }

    void observe(double seconds) {
      for (int i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]) {
          counts[i].increment();
        }
      }
      count.increment();
      sum.add(seconds);
    }
  }

  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>(); // route|status
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>(); // route|type
  private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
  private final Map<String, Supplier<Number>> gauges = new ConcurrentHashMap<>();

  public void request(String route, int status, double seconds) {
    requests.computeIfAbsent(route + "|" + status, k -> new LongAdder()).increment();
    latency.computeIfAbsent(route, k -> new Histogram()).observe(seconds);
  }

  public void error(String route, String type) {
    errors.computeIfAbsent(route + "|" + type, k -> new LongAdder()).increment();
  }

  /** A value read at scrape time (a counter when the name ends in _total). */
  public void gauge(String name, Supplier<Number> value) {
    gauges.put(name, value);
  }

  public static Supplier<Number> of(AtomicLong v) {
    return v::get;
  }

  public String render() {
    StringBuilder sb = new StringBuilder();
    sb.append("# HELP genrm_http_requests_total HTTP requests by route and status.\n");
    sb.append("# TYPE genrm_http_requests_total counter\n");
    new TreeMap<>(requests).forEach((k, v) -> {
      String[] p = k.split("\\|", 2);
      sb.append("genrm_http_requests_total{route=\"").append(p[0]).append("\",status=\"").append(p[1])
          .append("\"} ").append(v.sum()).append('\n');
    });
    sb.append("# HELP genrm_http_errors_total Error responses by route and error type.\n");
    sb.append("# TYPE genrm_http_errors_total counter\n");
    new TreeMap<>(errors).forEach((k, v) -> {
      String[] p = k.split("\\|", 2);
      sb.append("genrm_http_errors_total{route=\"").append(p[0]).append("\",type=\"").append(p[1])
          .append("\"} ").append(v.sum()).append('\n');
    });
    sb.append("# HELP genrm_http_request_duration_seconds Request latency by route.\n");
    sb.append("# TYPE genrm_http_request_duration_seconds histogram\n");
    new TreeMap<>(latency).forEach((route, h) -> {
      for (int i = 0; i < BUCKETS.length; i++) {
        sb.append("genrm_http_request_duration_seconds_bucket{route=\"").append(route).append("\",le=\"")
            .append(BUCKETS[i]).append("\"} ").append(h.counts[i].sum()).append('\n');
      }
      sb.append("genrm_http_request_duration_seconds_bucket{route=\"").append(route).append("\",le=\"+Inf\"} ")
          .append(h.count.sum()).append('\n');
      sb.append("genrm_http_request_duration_seconds_sum{route=\"").append(route).append("\"} ")
          .append(h.sum.sum()).append('\n');
      sb.append("genrm_http_request_duration_seconds_count{route=\"").append(route).append("\"} ")
          .append(h.count.sum()).append('\n');
    });
    new TreeMap<>(gauges).forEach((name, v) -> {
      sb.append("# TYPE ").append(name).append(name.endsWith("_total") ? " counter\n" : " gauge\n");
      sb.append(name).append(' ').append(v.get()).append('\n');
    });
    return sb.toString();
  }
}
