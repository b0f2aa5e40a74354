package io.genrm4j.serve;

import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.Prompts;
import io.genrm4j.verify.RationalePositions;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierRecipe;
import java.util.List;

import ai.djl.ndarray.NDManager;
import io.genrm4j.infer.Generator;
import io.genrm4j.model.Checkpoint;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code genrm serve}: the HTTP server over one checkpoint. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve a checkpoint over HTTP: /v1/verify, /v1/rerank, OpenAI-compatible /v1/completions, "
        + "/tokenize, /v1/models, /health, /metrics. Binds 127.0.0.1 unless --host is given.")
public final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "checkpoint directory") Path model;
  @Option(names = "--port", defaultValue = "8080", description = "port (0 = any free port); default ${DEFAULT-VALUE}") int port;
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "bind address; default ${DEFAULT-VALUE}") String host;
  @Option(names = "--api-key", description = "bearer token required on every route but /health (else env GENRM_API_KEY)") String apiKey;
  @Option(names = "--mode", defaultValue = "direct", completionCandidates = VerifierKind.Names.class,
      description = "default verifier mode, one of ${COMPLETION-CANDIDATES} (dpo needs a reference model, which serve "
          + "does not load); default ${DEFAULT-VALUE}") String mode;
  @Option(names = "--votes", defaultValue = "8", description = "default CoT votes; default ${DEFAULT-VALUE}") int votes;
  @Option(names = "--max-batch", defaultValue = "64", description = "rows per micro-batch; default ${DEFAULT-VALUE}") int maxBatch;
  @Option(names = "--batch-window-ms", defaultValue = "3", description = "micro-batch collection window; default ${DEFAULT-VALUE}") long windowMs;
  @Option(names = "--request-timeout-s", defaultValue = "120", description = "503 after this; default ${DEFAULT-VALUE}") long timeoutS;
  @Option(names = "--format", description = "prompt format: paper|compact (default: compact for character-level "
      + "models, paper otherwise)") String format;
  @Option(names = "--max-rationale-tokens", defaultValue = "256", description = "CoT rationale length cap; default "
      + "${DEFAULT-VALUE}") int maxRationaleTokens;
  @Option(names = "--seed", defaultValue = "0", description = "seed of CoT rationale sampling; default ${DEFAULT-VALUE}")
  long seed;
  @Option(names = "--model-name", description = "name reported by /v1/models (default: the directory name)") String modelName;

  @Override
  public Integer call() throws Exception {
    if (VerifierKind.parse(mode).needsReference()) {
      throw new io.genrm4j.util.UserException("--mode " + mode + " needs a reference model, which serve does not load");
    }
    String key = apiKey != null ? apiKey : System.getenv("GENRM_API_KEY");
    ServeLimits limits = ServeLimits.defaults().withRequestTimeoutMs(timeoutS * 1000).withMaxBatchRows(maxBatch)
        .withBatchWindowMs(windowMs);
    String name = modelName != null ? modelName : model.toAbsolutePath().normalize().getFileName().toString();
    NDManager root = NDManager.newBaseManager();
    Checkpoint.Loaded loaded = Checkpoint.load(model, root);
    Generator gen = new Generator(loaded.model(), loaded.tokenizer());
    Prompts.Format fmt = format != null ? Prompts.Format.parse(format)
        : loaded.tokenizer() instanceof CharTokenizer ? Prompts.Format.COMPACT : Prompts.Format.PAPER;
    VerifierFactory factory = cliVerifiers(loaded, fmt, maxRationaleTokens, seed, RationalePositions.of(model));
    GenrmServer.Options opt = new GenrmServer.Options(host, port, key, name, mode, votes, limits, true);
    GenrmServer server = new GenrmServer(loaded.model(), gen, factory, opt).start();
    if (!isLoopback(host) && (key == null || key.isEmpty())) {
      System.err.println("warning: listening on " + host + " without an API key");
    }
    System.err.println("genrm serve: " + server.baseUrl() + " model=" + name + " mode=" + mode
        + (key == null || key.isEmpty() ? "" : " (bearer token required)"));
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      loaded.close();
      root.close();
      done.countDown();
    }));
    done.await();
    return 0;
  }

  /**
   * The verifiers the CLI serves, all over the one loaded model: every kind but dpo (no reference model), GenRM-CoT
   * and the judge with K sampled rationales at temperature 0.7, placed as the checkpoint records
   * ({@link RationalePositions}); orm needs a score head.
   */
  static VerifierFactory cliVerifiers(Checkpoint.Loaded loaded, Prompts.Format format, int maxRationaleTokens,
      long seed, RationalePositions positions) {
    SamplingParams sampling = new SamplingParams(maxRationaleTokens, 0.7, 1.0, 0, List.of(), seed, true, 0);
    return (kind, votes) -> VerifierRecipe.open(kind, loaded.model(), null, loaded.tokenizer(), format,
        new VerifierRecipe.ScoreOptions(votes, sampling, positions, 0));
  }

  static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
  }
}
