package io.genrm4j.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.ChatTemplate;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code genrm sample}: completions of prompts with a KV cache. */
@Command(
    name = "sample",
    mixinStandardHelpOptions = true,
    description = {
      "Samples completions. Output: one JSON line per prompt, "
          + "{\"prompt\": str, \"completions\": [{\"text\": str, \"finish_reason\": \"stop\"|\"length\"}]}.",
      "BOS is prepended when the tokenizer has one; EOS or a --stop string ends a completion (finish_reason stop).",
      "With --problems: the solving prompt of each problem (--format, --chat-template) and one candidate record per "
          + "completion (problem_id, candidate_id, question, text, answer; docs/schemas.md), for genrm grade."
    })
final class SampleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, description = "checkpoint directory") Path model;

  @picocli.CommandLine.Mixin DtypeOption dtype = new DtypeOption();

  static final class Input {
    @Option(names = "--prompt", description = "one prompt") String prompt;

    @Option(names = "--input", description = "JSONL with a \"prompt\" field per line") Path input;

    @Option(names = "--problems", description = "problems JSONL (genrm data generate): writes candidate records")
    Path problems;
  }

  @ArgGroup(exclusive = true, multiplicity = "1") Input input;

  @Option(names = "--n", defaultValue = "1", description = "completions per prompt (default: ${DEFAULT-VALUE})") int n;

  @Option(names = "--max-tokens", defaultValue = "64", description = "tokens per completion (default: ${DEFAULT-VALUE})")
  int maxTokens;

  @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus mass, 1 = off (default: ${DEFAULT-VALUE})")
  double topP;

  @Option(names = "--top-k", defaultValue = "0", description = "0 = off (default: ${DEFAULT-VALUE})") int topK;

  @Option(names = "--stop", description = "stop string (repeatable)") List<String> stop = new ArrayList<>();

  @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})") long seed;

  @Option(names = "--batch", defaultValue = "16", description = "prompts decoded together (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--out", description = "write JSONL here (atomically) instead of printing") Path out;

  @Option(names = "--format", defaultValue = "compact", description = "--problems: solving prompt format, "
      + "compact|paper; default ${DEFAULT-VALUE}") String format;

  @Option(names = "--chat-template", defaultValue = "auto", description = "--problems: wrap the solving prompt in a "
      + "chat format: auto (the model's own, detected from its tokenizer_config.json; none for models without one), "
      + "none, chatml, llama3, gemma; default ${DEFAULT-VALUE}") String chatTemplate;

  @Override
  public Integer call() {
    checkOptions();
    SamplingParams params = new SamplingParams(maxTokens, temperature, topP, topK, stop, seed, true, 0);
    List<Problem> problems = input.problems == null ? null : Problem.read(input.problems);
    Prompts.Format solving = problems == null ? null
        : Prompts.Format.parse(format).withChat(ChatTemplate.choose(chatTemplate, Tokenizer.chatTemplate(model)));
    long t0 = System.nanoTime();
    Sampled sampled;
    try (NDManager mgr = Cli.manager(); Checkpoint.Loaded loaded = Cli.load(model, mgr)) {
      Generator gen = new Generator(dtype.apply(loaded.model()), loaded.tokenizer());
      Prompted prompted = problems == null ? readPrompts(gen) : problemPrompts(gen, problems, solving);
      sampled = sample(gen, prompted, problems, params);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    PrintWriter pw = spec.commandLine().getOut();
    if (out != null) {
      Jsonl.write(out, sampled.records());
    } else {
      sampled.records().forEach(r -> pw.println(Jsonl.toJson(r)));
    }
    pw.flush();
    spec.commandLine().getErr().printf("%d prompts x %d completions, %d tokens in %.1f s (%.1f tok/s)%s%n",
        sampled.prompts(), n, sampled.tokens(), secs, sampled.tokens() / Math.max(1e-9, secs),
        out != null ? "; wrote " + out : "");
    spec.commandLine().getErr().flush();
    return 0;
  }

  private void checkOptions() {
    if (n <= 0 || batch <= 0 || maxTokens < 0 || topK < 0 || !(topP > 0 && topP <= 1)) {
      throw new UserException("--n and --batch must be positive, --max-tokens and --top-k >= 0, --top-p in (0, 1]");
    }
    if (!(temperature >= 0) || Double.isInfinite(temperature)) { // a negative one would silently mean greedy
      throw new UserException("--temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
    }
    if (input.problems == null && (spec.commandLine().getParseResult().hasMatchedOption("--format")
        || spec.commandLine().getParseResult().hasMatchedOption("--chat-template"))) {
      throw new UserException("--format and --chat-template apply to --problems only");
    }
  }

  /** Prompt texts and their token ids, in input order. */
  private record Prompted(List<String> texts, List<int[]> ids) {
    Prompted() {
      this(new ArrayList<>(), new ArrayList<>());
    }
  }

  /** The output records, the tokens sampled and the prompts sampled from. */
  private record Sampled(List<ObjectNode> records, long tokens, int prompts) {}

  /** --prompt or --input's prompts; an unknown character is a UserException naming where it is. */
  private Prompted readPrompts(Generator gen) {
    Prompted p = new Prompted();
    if (input.prompt != null) {
      p.texts().add(input.prompt);
      try {
        p.ids().add(gen.promptIds(input.prompt));
      } catch (UserException e) {
        throw new UserException("--prompt: " + e.getMessage());
      }
      return p;
    }
    // Encoding inside the reader makes an unknown character a file:line error like a malformed record.
    Jsonl.read(input.input, node -> {
      String text = Jsonl.text(node, "prompt");
      try {
        p.ids().add(gen.promptIds(text));
      } catch (UserException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
      p.texts().add(text);
      return text;
    });
    if (p.texts().isEmpty()) {
      throw new UserException(input.input + ": no prompts");
    }
    return p;
  }

  /** The solving prompt of each problem. */
  private Prompted problemPrompts(Generator gen, List<Problem> problems, Prompts.Format solving) {
    Prompted p = new Prompted();
    for (Problem problem : problems) {
      String text = solving.solve(problem.question());
      try {
        p.ids().add(gen.promptIds(text));
      } catch (UserException e) {
        throw new UserException(input.problems + ": problem " + problem.id() + ": " + e.getMessage());
      }
      p.texts().add(text);
    }
    if (p.texts().isEmpty()) {
      throw new UserException(input.problems + ": no problems");
    }
    return p;
  }

  /**
   * {@code n} completions of every prompt, {@code batch} prompts at a time: a candidate record per completion with
   * --problems, else a record per prompt with its completions.
   */
  private Sampled sample(Generator gen, Prompted prompted, List<Problem> problems, SamplingParams params) {
    List<ObjectNode> records = new ArrayList<>();
    long tokens = 0;
    int count = prompted.texts().size();
    try (ProgressBar pb = Cli.progress("sample", count, "prompt")) {
      for (int from = 0; from < count; from += batch) {
        int to = Math.min(count, from + batch);
        // Seeds differ per chunk so chunking does not repeat the random streams of the first chunk.
        List<List<Generation>> res = gen.sampleShared(prompted.ids().subList(from, to), n, params.withSeed(seed + from));
        for (int i = from; i < to; i++) {
          List<Generation> gs = res.get(i - from);
          for (Generation g : gs) {
            tokens += g.tokens().length;
          }
          records.addAll(problems != null ? candidates(problems.get(i), gs)
              : List.of(completions(prompted.texts().get(i), gs)));
        }
        pb.stepTo(to);
      }
    }
    return new Sampled(records, tokens, count);
  }

  /** A candidate record per completion of problem {@code p} (docs/schemas.md). */
  private static List<ObjectNode> candidates(Problem p, List<Generation> gs) {
    List<ObjectNode> out = new ArrayList<>();
    for (int j = 0; j < gs.size(); j++) {
      out.add(Jsonl.MAPPER.valueToTree(new Candidate(p.id(), p.id() + "-c" + j, p.question(), gs.get(j).text(),
          p.answer(), null, null)));
    }
    return out;
  }

  /** {"prompt": ..., "completions": [{"text": ..., "finish_reason": ...}]}. */
  private static ObjectNode completions(String prompt, List<Generation> gs) {
    ObjectNode rec = Jsonl.MAPPER.createObjectNode();
    rec.put("prompt", prompt);
    ArrayNode cs = rec.putArray("completions");
    for (Generation g : gs) {
      cs.addObject().put("text", g.text()).put("finish_reason", g.finishReason());
    }
    return rec;
  }
}
