package io.genrm4j.infer;

import java.util.List;
import java.util.Map;

/**
 * One sampled continuation.
 *
 * @param tokens generated token ids (stop-string tokens included, EOS excluded)
 * @param text decoded text, cut before the first stop string
 * @param finishReason "stop" (EOS or a stop string) or "length"
 * @param stopMatched the stop string that ended the row, or null
 * @param logprobs temperature-independent log p of each generated token
 * @param topLogprobs per token, the most likely alternatives (token text -> log p); empty unless asked for
 */
public record Generation(int[] tokens, String text, String finishReason, String stopMatched, float[] logprobs,
    List<Map<String, Float>> topLogprobs) {}
