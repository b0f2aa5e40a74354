package io.genrm4j.task;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** The release files shipped under src/test/resources/io/genrm4j/data/genrm-critiques. */
public final class TestData {
  private TestData() {}

  public static Path release(String relative) {
    try {
      var url = TestData.class.getResource("/io/genrm4j/data/genrm-critiques/critiques/" + relative);
      if (url == null) {
        throw new IllegalStateException("missing test resource " + relative);
      }
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static final String DC_CORRECT = "data_collection/critique_gen_correct_solutions_round_0_shard_0.jsonl.gz";
  public static final String DC_INCORRECT =
      "data_collection/critique_gen_incorrect_solutions_round_0_shard_0.jsonl.gz";
}
