package io.genrm4j.serve;

/**
 * Server limits: every bound a request is held to, in one place (docs/serving.md has the table). Requests beyond
 * them get a 4xx JSON error before any work is queued.
 *
 * @param maxBodyBytes request body size (413 beyond)
 * @param maxCandidates solutions per verify/rerank request
 * @param maxVotes votes per verify/rerank request
 * @param maxTokens max_tokens per completion
 * @param maxN n per completion request
 * @param maxPrompts prompts per completion request
 * @param maxLogprobs logprobs (top alternatives) per token
 * @param maxRequestTokens generated tokens one completion request may ask for (prompts x n x max_tokens); the
 *     issue's 83 MB request asked 261,120
 * @param maxLogprobEntries log-prob entries one completion response may hold (reported tokens x alternatives),
 *     about 16 MB of JSON at the default
 * @param requestTimeoutMs a request not answered within this is abandoned with 503
 * @param idleTimeoutMs a connection idle (slow client) this long is closed; also the total deadline for a body
 * @param queueCapacity model jobs waiting at most; beyond, 503
 * @param maxBatchRows rows one micro-batch may hold
 * @param batchWindowMs how long the model thread waits for compatible requests to batch
 */
public record ServeLimits(long maxBodyBytes, int maxCandidates, int maxVotes, int maxTokens, int maxN,
    int maxPrompts, int maxLogprobs, long maxRequestTokens, long maxLogprobEntries, long requestTimeoutMs,
    long idleTimeoutMs, int queueCapacity, int maxBatchRows, long batchWindowMs) {

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
        131_072, // maxRequestTokens
        1 << 20, // maxLogprobEntries
        120_000, // requestTimeoutMs
        30_000, // idleTimeoutMs
        256, // queueCapacity
        64, // maxBatchRows
        3); // batchWindowMs
  }

  /**
   * Refuses limits under which every request would fail or the server could not start (a zero timeout, an empty
   * queue), with a one-line {@link IllegalArgumentException} naming the field.
   */
  public ServeLimits validated() {
    positive("maxBodyBytes", maxBodyBytes);
    positive("maxCandidates", maxCandidates);
    positive("maxVotes", maxVotes);
    positive("maxN", maxN);
    positive("maxPrompts", maxPrompts);
    positive("maxRequestTokens", maxRequestTokens);
    positive("maxLogprobEntries", maxLogprobEntries);
    positive("requestTimeoutMs", requestTimeoutMs);
    positive("idleTimeoutMs", idleTimeoutMs);
    positive("queueCapacity", queueCapacity);
    positive("maxBatchRows", maxBatchRows);
    if (maxTokens < 0 || maxLogprobs < 0 || batchWindowMs < 0) {
      throw new IllegalArgumentException("maxTokens, maxLogprobs and batchWindowMs must be >= 0 (" + this + ")");
    }
    return this;
  }

  private static void positive(String name, long v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + v);
    }
  }

  public ServeLimits withMaxBodyBytes(long v) {
    return new ServeLimits(v, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs, maxRequestTokens,
        maxLogprobEntries, requestTimeoutMs, idleTimeoutMs, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withMaxLogprobs(int v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, v, maxRequestTokens,
        maxLogprobEntries, requestTimeoutMs, idleTimeoutMs, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withMaxRequestTokens(long v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs, v,
        maxLogprobEntries, requestTimeoutMs, idleTimeoutMs, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withMaxLogprobEntries(long v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        maxRequestTokens, v, requestTimeoutMs, idleTimeoutMs, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withRequestTimeoutMs(long v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        maxRequestTokens, maxLogprobEntries, v, idleTimeoutMs, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withIdleTimeoutMs(long v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        maxRequestTokens, maxLogprobEntries, requestTimeoutMs, v, queueCapacity, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withQueueCapacity(int v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        maxRequestTokens, maxLogprobEntries, requestTimeoutMs, idleTimeoutMs, v, maxBatchRows, batchWindowMs);
  }

  public ServeLimits withMaxBatchRows(int v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        maxRequestTokens, maxLogprobEntries, requestTimeoutMs, idleTimeoutMs, queueCapacity, v, batchWindowMs);
  }

  public ServeLimits withBatchWindowMs(long v) {
    return new ServeLimits(maxBodyBytes, maxCandidates, maxVotes, maxTokens, maxN, maxPrompts, maxLogprobs,
        maxRequestTokens, maxLogprobEntries, requestTimeoutMs, idleTimeoutMs, queueCapacity, maxBatchRows, v);
  }
}
