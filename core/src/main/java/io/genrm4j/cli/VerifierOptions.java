package io.genrm4j.cli;

import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.serve.client.OpenAiClient;
import io.genrm4j.serve.client.RemoteGenrm;
import io.genrm4j.task.ChatTemplate;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Task;
import io.genrm4j.task.Tasks;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.RationalePositions;
import io.genrm4j.verify.Restatement;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierManifest;
import io.genrm4j.verify.VerifierRecipe;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Which verifier to open and how, as {@code genrm verify}'s options (a picocli mixin): a checkpoint (local backend)
 * or an OpenAI-compatible server (openai backend), the mode, the CoT sampling. Serializable and free of loaded state,
 * so a job can ship it to other JVMs (e.g. Spark executors) and each opens its own verifier there with {@link #open}.
 * Paths are kept as strings: {@link Path} is not serializable.
 */
public final class VerifierOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  @Option(names = "--model", description = "verifier checkpoint directory (local backend)") String model;
  @picocli.CommandLine.Mixin DtypeOption dtype = new DtypeOption();
  @Option(names = "--mode", required = true, completionCandidates = VerifierKind.Names.class,
      description = "${COMPLETION-CANDIDATES}") String mode;
  @Option(names = "--votes", defaultValue = "8", description = "rationales per candidate (genrm-cot, llm-judge); "
      + "default ${DEFAULT-VALUE}") int votes;
  @Option(names = "--format", defaultValue = "compact", description = "prompt format: compact|paper; default "
      + "${DEFAULT-VALUE}") String format;
  @Option(names = "--chat-template", defaultValue = "auto", description = "wrap prompts in a chat format: auto (the "
      + "model's own, detected from its tokenizer_config.json; none for models without one), none, chatml, llama3, "
      + "gemma; default ${DEFAULT-VALUE}") String chatTemplate;
  @Option(names = "--temperature", defaultValue = "0.7", description = "rationale sampling temperature; default "
      + "${DEFAULT-VALUE}") double temperature;
  @Option(names = "--top-p", defaultValue = "1.0", description = "rationale nucleus sampling; default ${DEFAULT-VALUE}")
  double topP;
  @Option(names = "--max-rationale-tokens", defaultValue = "0", description = "at most this many tokens per rationale; "
      + "0 (default): as many as the model's context leaves (openai backend: 256, as servers refuse a request whose "
      + "prompt and max_tokens exceed the context)")
  int maxRationaleTokens;
  @Option(names = "--seed", defaultValue = "0", description = "rationale sampling seed; default ${DEFAULT-VALUE}")
  long seed;
  @Option(names = "--reference", description = "dpo: the model DPO started from") String reference;
  @Option(names = "--backend", defaultValue = "local", description = "local (a checkpoint, --model) or openai (an "
      + "OpenAI-compatible server at --base-url: vLLM, llama.cpp, Ollama, genrm serve; modes genrm, genrm-cot, "
      + "llm-judge and their aliases, paper prompts); default ${DEFAULT-VALUE}") String backend;
  @Option(names = "--base-url", description = "openai backend: server URL, e.g. http://127.0.0.1:8000") String baseUrl;
  @Option(names = "--api-key", description = "openai backend: bearer token (else env OPENAI_API_KEY)") String apiKey;
  @Option(names = "--concurrency", defaultValue = "4", description = "openai backend: requests in flight; default "
      + "${DEFAULT-VALUE}") int concurrency;
  @Option(names = "--beta", defaultValue = "0.1", description = "dpo: beta; default ${DEFAULT-VALUE}") double beta;
  @Option(names = "--rationale-positions", description = "genrm-cot: sequential|solution|coupled|coupled-lines, where the rationale sits in "
      + "position space; default: as recorded in the checkpoint by genrm train verifier, else sequential")
  String rationalePositions;
  @Option(names = "--restatement", description = "genrm-cot: sampled|forced, who writes the candidate's answer the "
      + "rationale restates (forced: the scorer, extracting it as --task does); default: as recorded in the "
      + "checkpoint by genrm experiment, else sampled")
  String restatement;
  @Option(names = "--task", description = "genrm-cot with --restatement forced: last-letter|word-sorting|gsm8k, whose "
      + "answer extraction gives the candidate's answer; default: as recorded in the checkpoint")
  String task;

  /**
   * Options parsed from {@code args} as {@code genrm verify} would, with its defaults, e.g.
   * {@code of("--mode", "genrm", "--model", dir)}: how a Java caller (a Spark driver) names a verifier.
   */
  public static VerifierOptions of(String... args) {
    VerifierOptions o = new VerifierOptions();
    try {
      new CommandLine(o).parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new UserException(e.getMessage());
    }
    return o;
  }

  /** The kind {@code --mode} names. */
  public VerifierKind kind() {
    return VerifierKind.parse(mode);
  }

  /** {@code --votes}, checked. */
  public int votes() {
    if (votes < 1) {
      throw new UserException("--votes must be >= 1");
    }
    return votes;
  }

  /** The local backend's checkpoint ({@code --model}); null for the openai backend or when not given. */
  public Path model() {
    return model == null ? null : Path.of(model);
  }

  /** The prompt format, wrapped in the model's chat template where {@code --chat-template auto} finds one. */
  public Prompts.Format promptFormat() {
    return Prompts.Format.parse(format).withChat(ChatTemplate.choose(chatTemplate,
        model == null ? null : Tokenizer.chatTemplate(model())));
  }

  /** How rationales are sampled (genrm-cot, llm-judge). */
  public SamplingParams sampling() {
    return new SamplingParams(SamplingParams.limitOrContext(maxRationaleTokens), temperature, topP, 0, List.of(), seed,
        true, 0);
  }

  /** Whether the verifier runs in this JVM (a loaded checkpoint) rather than behind a server. */
  public boolean local() {
    return !backend.equals("openai");
  }

  /**
   * Checks what can be checked without opening anything (the mode, the votes, the backend and what it needs), so a
   * job that opens the verifier elsewhere fails at once, in one line, on bad options.
   */
  public void validate() {
    kind();
    votes();
    if (maxRationaleTokens < 0) {
      throw new UserException("--max-rationale-tokens must be >= 0 (0: as many as the context leaves)");
    }
    if (backend.equals("openai")) {
      if (baseUrl == null) {
        throw new UserException("--backend openai needs --base-url");
      }
    } else if (!backend.equals("local")) {
      throw new UserException("--backend must be local or openai");
    } else if (model == null) {
      throw new UserException("--model is required with the local backend");
    }
  }

  /** Opens the verifier these options name; the caller closes it. */
  public Verifier open() {
    validate();
    VerifierKind kind = kind();
    if (!local()) {
      String key = apiKey != null ? apiKey : System.getenv("OPENAI_API_KEY");
      var client = new OpenAiClient(baseUrl, key, Duration.ofSeconds(120), concurrency, 3);
      try {
        return new RemoteGenrm(client, kind, votes, temperature,
            maxRationaleTokens == 0 ? RemoteGenrm.DEFAULT_RATIONALE_TOKENS : maxRationaleTokens, seed);
      } catch (IllegalArgumentException e) {
        throw new UserException("--backend openai: " + e.getMessage());
      }
    }
    VerifierManifest m = manifest();
    return VerifierRecipe.open(kind, model(), reference == null ? null : Path.of(reference), promptFormat(),
        new VerifierRecipe.ScoreOptions(votes, sampling(), m.positions(), beta, m.restatement()), dtype.get());
  }

  /** How the checkpoint's rationales are scored: as it records ({@link VerifierManifest}), changed by the flags. */
  VerifierManifest manifest() {
    VerifierManifest recorded = VerifierManifest.of(model());
    RationalePositions positions = rationalePositions == null
        ? recorded.positions() : RationalePositions.of(rationalePositions);
    boolean forced = restatement == null ? recorded.restatement().isForced()
        : Restatement.FORCED_ID.equals(Restatement.check(restatement));
    Task by = task != null ? Tasks.byName(task) : recorded.restatedBy();
    if (forced && by == null) {
      throw new UserException("--restatement forced needs --task (the task that extracts the candidates' answers)");
    }
    return new VerifierManifest(positions, recorded.comparison(), forced ? by : null);
  }

  /** Every option, for equality: two equal options open the same verifier (e.g. one cached per JVM). */
  private List<Object> values() {
    return Arrays.asList(model, mode, votes, format, chatTemplate, temperature, topP, maxRationaleTokens, seed,
        reference, backend, baseUrl, apiKey, concurrency, beta, rationalePositions, restatement, task);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VerifierOptions other && values().equals(other.values());
  }

  @Override
  public int hashCode() {
    return values().hashCode();
  }
}
