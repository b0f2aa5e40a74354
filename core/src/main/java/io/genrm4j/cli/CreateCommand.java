package io.genrm4j.cli;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.ModelConfig;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Prompts;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code genrm create}: a randomly initialised model saved as a Hugging Face checkpoint directory. */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = {
      "Creates a randomly initialised Llama-style model and saves it as a Hugging Face checkpoint directory "
          + "(config.json, model.safetensors, tokenizer.json).",
      "The config's vocab size and bos/eos/pad ids come from the tokenizer.",
      "Presets: test (~20K), tiny (~0.15M), small (~0.7M), base (~6M), medium (~12M), large (~21M) parameters "
          + "(non-embedding shapes; embeddings depend on the vocabulary)."
    })
final class CreateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  static final class Shape {
    @Option(names = "--preset", description = "named size: test, tiny, small, base, medium, large") String preset;

    @Option(names = "--config", description = "an HF config.json to take the shape from") Path config;
  }

  static final class Tok {
    @Option(names = "--tokenizer",
        description = "char:ALPHABET (one token per distinct character, plus <pad> <s> </s>) or a directory "
            + "with tokenizer.json") String spec;

    @Option(names = "--alphabet-file", description = "a character tokenizer over the characters of this file "
        + "(UTF-8; every character counts, newlines included)") Path alphabetFile;
  }

  @ArgGroup(exclusive = true, multiplicity = "1") Shape shape;

  @ArgGroup(exclusive = true, multiplicity = "1") Tok tok;

  @Option(names = "--phrase-tokens", description = "char tokenizers: make each verification prompt line (\""
      + Prompts.DECISION + "\", \"" + Prompts.COT_REQUEST + "\") one token, so GenRM reads its verdict right after"
      + " the solution and every decision line costs one position instead of one per character") boolean phraseTokens;

  @Option(names = "--untied-head", description = "give the output head its own weights (lm_head) instead of the "
      + "input embeddings") boolean untiedHead;

  @Option(names = "--seed", defaultValue = "0", description = "initialisation seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--out", required = true, description = "output checkpoint directory (must not exist or be empty)")
  Path out;

  @Override
  public Integer call() {
    Tokenizer tokenizer = tokenizer();
    Cli.requireFreshDir(out, false, "");
    ModelConfig base = shape.preset != null ? Presets.get(shape.preset, tokenizer.vocabSize())
        : ModelConfig.read(shape.config);
    ModelConfig cfg = base.withVocabSize(tokenizer.vocabSize()).withSpecialTokens(
        tokenizer.bosId().orElse(-1), tokenizer.eosId().orElse(-1), tokenizer.padId());
    if (untiedHead) {
      cfg = cfg.withTiedEmbeddings(false);
    }
    try (NDManager mgr = Cli.manager(); LlamaModel model = LlamaModel.init(cfg, seed, mgr)) {
      Checkpoint.save(model, tokenizer, out);
    }
    PrintWriter pw = spec.commandLine().getOut();
    pw.printf("created %s: %s, %d layers, hidden %d, %d heads (%d kv), vocab %d%s, %s head, %s parameters, seed %d%n",
        out, cfg.modelType(), cfg.numHiddenLayers(), cfg.hiddenSize(), cfg.numAttentionHeads(),
        cfg.numKeyValueHeads(), cfg.vocabSize(),
        tokenizer instanceof CharTokenizer c && !c.phrases().isEmpty() ? " (" + c.phrases().size() + " phrases)" : "",
        cfg.tieWordEmbeddings() ? "tied" : "untied", Cli.human(cfg.parameterCount()), seed);
    pw.flush();
    return 0;
  }

  private Tokenizer tokenizer() {
    if (tok.alphabetFile != null) {
      try {
        return charTokenizer(Files.readString(tok.alphabetFile), tok.alphabetFile.toString(), phraseTokens);
      } catch (IOException e) {
        throw new UserException(tok.alphabetFile + ": cannot read: " + e.getMessage());
      }
    }
    if (tok.spec.startsWith("char:")) {
      return charTokenizer(tok.spec.substring("char:".length()), "--tokenizer char:", phraseTokens);
    }
    if (phraseTokens) {
      throw new UserException("--phrase-tokens: only for character tokenizers (char:ALPHABET or --alphabet-file)");
    }
    Path dir = Path.of(tok.spec);
    if (!Files.isDirectory(dir)) {
      throw new UserException("--tokenizer: '" + tok.spec + "' is neither char:ALPHABET nor a directory");
    }
    return Tokenizer.load(dir);
  }

  private static Tokenizer charTokenizer(String alphabet, String where, boolean phrases) {
    if (alphabet.isEmpty()) {
      throw new UserException(where + ": the alphabet is empty");
    }
    try {
      return CharTokenizer.of(alphabet, phrases ? Prompts.PHRASE_TOKENS : java.util.List.of());
    } catch (IllegalArgumentException e) {
      throw new UserException(where + ": " + e.getMessage());
    }
  }
}
