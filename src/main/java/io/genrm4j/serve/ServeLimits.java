package io.genrm4j.serve;

/**
 * Server limits. Requests beyond them get a 4xx JSON error.
 *
 * @param maxBodyBytes request body size (413 beyond)
 * @param maxCandidates solutions per verify/rerank request
 * @param maxVotes votes per verify/rerank request
 * @param maxTokens max_tokens per completion
 * @param maxN n per completion request
 * @param maxPrompts prompts per completion request
 * @param maxLogprobs logprobs (top alternatives) per token
 * @param requestTimeoutMs a request not answered within this is abandoned with 503
 * @param idleTimeoutMs a connection idle (slow client) this long is closed
 * @param queueCapacity model jobs waiting at most; beyond, 503
 * @param maxBatchRows rows one micro-batch may hold
 * @param batchWindowMs how long the model thread waits for compatible requests to batch
 */
public record ServeLimits(long maxBodyBytes, int maxCandidates, int maxVotes, int maxTokens, int maxN,
    int maxPrompts, int maxLogprobs, long requestTimeoutMs, long idleTimeoutMs, int queueCapacity,
    int maxBatchRows, long batchWindowMs) {

  public static ServeLimits defaults() {
    return new ServeLimits(1 << 20, 64, 64, 1024, 16, 64, 20, 120_000, 30_000, 256, 64, 3);
  }

  public ServeLimits withRequestTimeoutMs(long ms) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs, ms,
        idleTimeoutMs, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withMaxBatchRows(int rows) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        requestTimeoutMs, idleTimeoutMs, queueCapacity, rows, batchWindowMs);
  }
}
