package io.genrm4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The server's default limits as they were when written positionally (f73aa1f), and the with-ers. */
class ServeLimitsTest {
  @Test
  void defaultsAndEachWitherChangeExactlyTheirField() {
    ServeLimits d = ServeLimits.defaults();
    assertEquals("ServeLimits[maxBodyBytes=1048576, maxCandidates=64, maxVotes=64, maxTokens=1024, maxN=16, "
        + "maxPrompts=64, maxLogprobs=20, maxRequestTokens=131072, maxLogprobEntries=1048576, "
        + "requestTimeoutMs=120000, idleTimeoutMs=30000, queueCapacity=256, "
        + "maxBatchRows=64, batchWindowMs=3]", d.toString());
    assertEquals("ServeLimits[maxBodyBytes=1, maxCandidates=64, maxVotes=64, maxTokens=1024, maxN=16, "
        + "maxPrompts=64, maxLogprobs=2, maxRequestTokens=8, maxLogprobEntries=9, requestTimeoutMs=3, "
        + "idleTimeoutMs=4, queueCapacity=5, maxBatchRows=6, batchWindowMs=7]", d.withMaxBodyBytes(1)
        .withMaxLogprobs(2).withRequestTimeoutMs(3).withIdleTimeoutMs(4).withQueueCapacity(5).withMaxBatchRows(6)
        .withBatchWindowMs(7).withMaxRequestTokens(8).withMaxLogprobEntries(9).toString());
  }

  /** Limits under which every request would fail are refused when a server is configured with them. */
  @Test
  void limitsUnderWhichEveryRequestFailsAreRefused() {
    ServeLimits d = ServeLimits.defaults();
    assertEquals(d, d.validated());
    for (ServeLimits bad : java.util.List.of(d.withRequestTimeoutMs(0), d.withQueueCapacity(0), d.withMaxBatchRows(0),
        d.withMaxRequestTokens(0), d.withBatchWindowMs(-1))) {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, bad::validated, bad.toString());
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> GenrmServer.Options.loopback(0).withLimits(bad), bad.toString());
    }
  }
}
