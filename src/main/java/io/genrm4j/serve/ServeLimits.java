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

  /** The server's defaults; change a field with the {@code with*} methods. */
  public static ServeLimits defaults() {
    return new ServeLimits(
        1 << 20, // maxBodyBytes
        64, // maxCandidates
        64, // maxVotes
        1024, // maxTokens
        16, // maxN
        64, // maxPrompts
        20, // maxLogprobs
        120_000, // requestTimeoutMs
        30_000, // idleTimeoutMs
        256, // queueCapacity
        64, // maxBatchRows
        3); // batchWindowMs
  }

  public ServeLimits withMaxBodyBytes(long v) {
    return new ServeLimits(v, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs, requestTimeoutMs,
        idleTimeoutMs, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withMaxLogprobs(int v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, v, requestTimeoutMs,
        idleTimeoutMs, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withRequestTimeoutMs(long v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs, v,
        idleTimeoutMs, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withIdleTimeoutMs(long v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        requestTimeoutMs, v, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withQueueCapacity(int v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        requestTimeoutMs, idleTimeoutMs, v, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withMaxBatchRows(int v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        requestTimeoutMs, idleTimeoutMs, queueCapacity, v, batchWindowMs);
  }

  public ServeLimits withBatchWindowMs(long v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        requestTimeoutMs, idleTimeoutMs, queueCapacity, maxBatchRows, v);
  }
}
