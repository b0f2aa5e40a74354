package io.genrm4j.serve.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code genrm synthesize}: reference-guided CoT rationales from a teacher behind an OpenAI-compatible URL. */
@Command(name = "synthesize", mixinStandardHelpOptions = true,
    description = "Reference-guided rationale synthesis: keeps a teacher rationale only when its verdict equals the "
        + "candidate's label; writes CoT training records {inputs, targets}. Resumable (skips finished candidates).")
public final class SynthesizeCommand implements Callable<Integer> {
  @Option(names = "--base-url", required = true, description = "OpenAI-compatible server, e.g. http://127.0.0.1:8000") String baseUrl;
  @Option(names = "--input", required = true, description = "candidates.jsonl: question, solution|model_output, reference|answer, correctness|label") Path input;
  @Option(names = "--out", required = true, description = "critiques.jsonl (appended)") Path out;
  @Option(names = "--samples", defaultValue = "4", description = "rationales sampled per candidate; default ${DEFAULT-VALUE}") int samples;
  @Option(names = "--temperature", defaultValue = "0.7") double temperature;
  @Option(names = "--max-tokens", defaultValue = "512") int maxTokens;
  @Option(names = "--seed", defaultValue = "0") long seed;
  @Option(names = "--model", description = "model name (default: the server's first)") String model;
  @Option(names = "--api-key", description = "bearer token (else env OPENAI_API_KEY)") String apiKey;
  @Option(names = "--timeout-s", defaultValue = "300") long timeoutS;

  @Override
  public Integer call() throws Exception {
    String key = apiKey != null ? apiKey : System.getenv("OPENAI_API_KEY");
    OpenAiClient c = new OpenAiClient(baseUrl, key, Duration.ofSeconds(timeoutS), 4, 4);
    if (model != null) {
      c.withModel(model);
    }
    int[] r = RationaleSynthesizer.run(c, input, out, samples, temperature, maxTokens, seed);
    System.out.println("synthesized " + r[0] + " candidates, kept " + r[1] + " rationales -> " + out);
    return 0;
  }
}
