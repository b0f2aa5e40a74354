package io.genrm4j.serve;

import ai.djl.ndarray.NDManager;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.ChatTemplate;
import io.genrm4j.task.Prompts;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierManifest;
import io.genrm4j.verify.VerifierRecipe;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code genrm serve}: the HTTP server over one checkpoint. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve a checkpoint over HTTP: /v1/verify, /v1/rerank, OpenAI-compatible /v1/completions, "
        + "/tokenize, /v1/models, /get_reward (OpenRLHF's remote reward model), /health, /metrics. Binds 127.0.0.1 unless --host is given. The bearer token comes "
        + "from --api-key-file or --api-key (visible to other users in ps), else the environment variable "
        + "GENRM_API_KEY; without one, only requests whose Host names this server are served. Request limits: "
        + "docs/serving.md (printed at start).")
public final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "checkpoint directory") Path model;
  @picocli.CommandLine.Mixin io.genrm4j.cli.DtypeOption dtype = new io.genrm4j.cli.DtypeOption();
  @Option(names = "--port", defaultValue = "8080", description = "port (0 = any free port); default ${DEFAULT-VALUE}") int port;
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "bind address; default ${DEFAULT-VALUE}") String host;
  @Option(names = "--api-key", description = "bearer token required on every route but /health; visible to other "
      + "users of this machine in ps: prefer --api-key-file or GENRM_API_KEY") String apiKey;
  @Option(names = "--api-key-file", description = "file holding the bearer token (surrounding whitespace ignored)")
  Path apiKeyFile;
  @Option(names = "--mode", defaultValue = "direct", completionCandidates = VerifierKind.Names.class,
      description = "default verifier mode, one of ${COMPLETION-CANDIDATES} (dpo needs a reference model, which serve "
          + "does not load); default ${DEFAULT-VALUE}") String mode;
  @Option(names = "--votes", defaultValue = "8", description = "default CoT votes; default ${DEFAULT-VALUE}") int votes;
  @Option(names = "--max-batch", defaultValue = "64", description = "rows per micro-batch; default ${DEFAULT-VALUE}") int maxBatch;
  @Option(names = "--batch-window-ms", defaultValue = "3", description = "micro-batch collection window; default ${DEFAULT-VALUE}") long windowMs;
  @Option(names = "--request-timeout-s", defaultValue = "120", description = "503 after this; default ${DEFAULT-VALUE}") long timeoutS;
  @Option(names = "--format", description = "prompt format: paper|compact (default: compact for character-level "
      + "models, paper otherwise)") String format;
  @Option(names = "--chat-template", defaultValue = "auto", description = "wrap prompts in a chat format: auto (the "
      + "model's own, detected from its tokenizer_config.json; none for models without one), none, chatml, llama3, "
      + "gemma; default ${DEFAULT-VALUE}") String chatTemplate;
  @Option(names = "--max-rationale-tokens", defaultValue = "0", description = "CoT rationale length cap; 0 (default): "
      + "as many tokens as the model's context leaves") int maxRationaleTokens;
  @Option(names = "--seed", defaultValue = "0", description = "seed of CoT rationale sampling; default ${DEFAULT-VALUE}")
  long seed;
  @Option(names = "--model-name", description = "name reported by /v1/models (default: the directory name)") String modelName;
  @Option(names = "--reward-separator", description = "/get_reward: split each query into prompt and response at "
      + "the last occurrence of this text (e.g. the chat template's assistant header); without it requests must send "
      + "\"prompts\"") String rewardSeparator;

  @Override
  public Integer call() throws Exception {
    if (VerifierKind.parse(mode).needsReference()) {
      throw new UserException("--mode " + mode + " needs a reference model, which serve does not load");
    }
    ServeLimits limits = limits();
    Prompts.Format chosen = format == null ? null : Prompts.Format.parse(format);
    String key = apiKey(apiKey, apiKeyFile, System.getenv("GENRM_API_KEY"));
    String name = modelName != null ? modelName : model.toAbsolutePath().normalize().getFileName().toString();
    NDManager root = NDManager.newBaseManager();
    Checkpoint.Loaded loaded = Checkpoint.load(model, root);
    Generator gen = new Generator(dtype.apply(loaded.model()), loaded.tokenizer());
    Prompts.Format fmt = (chosen != null ? chosen
        : loaded.tokenizer() instanceof CharTokenizer ? Prompts.Format.COMPACT : Prompts.Format.PAPER)
        .withChat(ChatTemplate.choose(chatTemplate, Tokenizer.chatTemplate(model)));
    VerifierFactory factory = cliVerifiers(loaded, fmt, maxRationaleTokens, seed, VerifierManifest.of(model));
    if (rewardSeparator != null && rewardSeparator.isEmpty()) {
      throw new UserException("--reward-separator must not be empty");
    }
    GenrmServer.Options opt = new GenrmServer.Options(host, port, key, name, mode, votes, limits, true, true,
        rewardSeparator);
    GenrmServer server = new GenrmServer(loaded.model(), gen, factory, opt).start();
    if (!isLoopback(host) && key == null) {
      System.err.println("warning: listening on " + host + " without an API key");
    }
    System.err.println("genrm serve: " + server.baseUrl() + " model=" + name + " mode=" + mode
        + (key == null ? "" : " (bearer token required)"));
    System.err.println("limits: " + limits);
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

  /** The flags' limits, each refused at start with one line when every request would fail under it. */
  private ServeLimits limits() {
    ServeLimits d = ServeLimits.defaults();
    requireIn("--port", port, 0, 65535);
    requireIn("--votes", votes, 1, d.maxVotes());
    requireIn("--request-timeout-s", timeoutS, 1, 86_400);
    requireIn("--max-batch", maxBatch, 1, 4096);
    requireIn("--batch-window-ms", windowMs, 0, 10_000);
    requireIn("--max-rationale-tokens", maxRationaleTokens, 0, 1 << 20);
    return d.withRequestTimeoutMs(timeoutS * 1000).withMaxBatchRows(maxBatch).withBatchWindowMs(windowMs);
  }

  private static void requireIn(String flag, long v, long min, long max) {
    if (v < min || v > max) {
      throw new UserException(flag + " must be in [" + min + ", " + max + "], got " + v);
    }
  }

  /**
   * The bearer token: from {@code file} or {@code flag}, else {@code env} (GENRM_API_KEY); null for none. An empty
   * token would turn authentication off without saying so: it is refused, as is giving both a file and a flag.
   */
  static String apiKey(String flag, Path file, String env) {
    if (flag != null && file != null) {
      throw new UserException("give --api-key or --api-key-file, not both");
    }
    String key;
    String from;
    if (file != null) {
      try {
        key = Files.readString(file, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new UserException(file + ": cannot read the API key: " + e.getMessage());
      }
      from = file.toString();
    } else if (flag != null) {
      key = flag;
      from = "--api-key";
    } else if (env != null) {
      key = env;
      from = "GENRM_API_KEY";
    } else {
      return null;
    }
    if (key.isBlank()) {
      throw new UserException(from + ": the API key is empty (it would turn authentication off); give a key or "
          + "leave it unset");
    }
    return key;
  }

  /**
   * The verifiers the CLI serves, all over the one loaded model: every kind but dpo (no reference model), GenRM-CoT
   * and the judge with K sampled rationales at temperature 0.7, placed and restated as the checkpoint records
   * ({@link VerifierManifest}); orm needs a score head.
   */
  static VerifierFactory cliVerifiers(Checkpoint.Loaded loaded, Prompts.Format format, int maxRationaleTokens,
      long seed, VerifierManifest manifest) {
    SamplingParams sampling = new SamplingParams(SamplingParams.limitOrContext(maxRationaleTokens), 0.7, 1.0, 0,
        List.of(), seed, true, 0);
    return (kind, votes) -> VerifierRecipe.open(kind, loaded.model(), null, loaded.tokenizer(), format,
        new VerifierRecipe.ScoreOptions(votes, sampling, manifest.positions(), 0, manifest.restatement()));
  }

  static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
  }
}
