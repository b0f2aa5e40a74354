package io.genrm4j.infer;

import io.genrm4j.model.KvCache;
import java.util.List;

/**
 * What {@link Generator#sample} returns: {@code generations.get(c).get(j)} is continuation j of prefix c, and, when the
 * request asked to keep it, the cache over every token fed (prefix, restart tail, and each sampled token but the
 * last), in the model's manager. Closing frees that cache.
 */
public record Samples(List<List<Generation>> generations, KvCache cache) implements AutoCloseable {

  /** The kept cache; the request must have asked for it ({@link SampleRequest#keepingCache}). */
  @Override
  public KvCache cache() {
    if (cache == null) {
      throw new IllegalStateException("the cache was not kept: ask for it with SampleRequest.keepingCache()");
    }
    return cache;
  }

  @Override
  public void close() {
    if (cache != null) {
      Generator.closeAll(cache);
    }
  }
}
