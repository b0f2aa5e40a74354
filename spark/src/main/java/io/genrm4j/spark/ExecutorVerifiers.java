package io.genrm4j.spark;

import io.genrm4j.cli.VerifierOptions;
import io.genrm4j.verify.Verifier;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The verifiers of this JVM (a Spark executor, or the driver in local mode): one per {@link VerifierOptions}, opened
 * on first use and kept for the JVM's life, so every task of every job on the executor shares one loaded model.
 * They are never closed: their native memory goes with the executor.
 */
final class ExecutorVerifiers {
  private static final Map<VerifierOptions, Shared> OPEN = new ConcurrentHashMap<>();
  private static final AtomicInteger OPENED = new AtomicInteger();

  private ExecutorVerifiers() {}

  /**
   * The verifier of {@code options}, opened here the first time it is asked for; concurrent first callers wait for
   * that one load (computeIfAbsent) rather than load twice.
   */
  static Shared get(VerifierOptions options) {
    return OPEN.computeIfAbsent(options, o -> {
      // executors start without the CLI's main, which sets this: DJL must not try to download an engine
      if (System.getProperty("ai.djl.offline") == null) {
        System.setProperty("ai.djl.offline", "true");
      }
      Verifier v = o.open();
      OPENED.incrementAndGet();
      return new Shared(v, o.local());
    });
  }

  /** How many verifiers this JVM has opened (loaded models or remote clients), for tests and logs. */
  static int opened() {
    return OPENED.get();
  }

  /**
   * A verifier shared by the executor's task threads. A local one runs its model in the calling thread and is not
   * safe for concurrent calls, so its callers take turns ({@link #lock}); a remote one is called concurrently and
   * bounds its own requests in flight ({@code --concurrency}, per executor).
   */
  record Shared(Verifier verifier, boolean local) {
    /** What callers synchronise on around a call: the verifier when local, nothing shared when remote. */
    Object lock() {
      return local ? verifier : new Object();
    }
  }
}
