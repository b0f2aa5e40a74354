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
    SamplingParams params = new SamplingParams(maxTokens, temperature, topP, topK, stop, seed, true, 0);
    List<ObjectNode> records = new ArrayList<>();
    long t0 = System.nanoTime();
    long generated = 0;
    int promptCount;
    List<Problem> problems = input.problems == null ? null : Problem.read(input.problems);
    Prompts.Format solving = problems == null ? null
        : Prompts.Format.parse(format).withChat(ChatTemplate.choose(chatTemplate, Tokenizer.chatTemplate(model)));
    try (NDManager mgr = Cli.manager(); Checkpoint.Loaded loaded = Cli.load(model, mgr)) {
      Generator gen = new Generator(loaded.model(), loaded.tokenizer());
      List<String> prompts = new ArrayList<>();
      List<int[]> ids = new ArrayList<>();
      if (input.prompt != null) {
        prompts.add(input.prompt);
        try {
          ids.add(gen.promptIds(input.prompt));
        } catch (UserException e) {
          throw new UserException("--prompt: " + e.getMessage());
        }
      } else if (problems != null) {
        for (Problem p : problems) {
          String text = solving.solve(p.question());
          try {
            ids.add(gen.promptIds(text));
          } catch (UserException e) {
            throw new UserException(input.problems + ": problem " + p.id() + ": " + e.getMessage());
          }
          prompts.add(text);
        }
        if (prompts.isEmpty()) {
          throw new UserException(input.problems + ": no problems");
        }
      } else {
        // Encoding inside the reader makes an unknown character a file:line error like a malformed record.
        Jsonl.read(input.input, node -> {
          String text = Jsonl.text(node, "prompt");
          try {
            ids.add(gen.promptIds(text));
          } catch (UserException e) {
            throw new IllegalArgumentException(e.getMessage());
          }
          prompts.add(text);
          return text;
        });
        if (prompts.isEmpty()) {
          throw new UserException(input.input + ": no prompts");
        }
      }
      try (ProgressBar pb = Cli.progress("sample", prompts.size(), "prompt")) {
        for (int from = 0; from < prompts.size(); from += batch) {
          int to = Math.min(prompts.size(), from + batch);
          // Seeds differ per chunk so chunking does not repeat the random streams of the first chunk.
          List<List<Generation>> res = gen.sampleShared(ids.subList(from, to), n, params.withSeed(seed + from));
          for (int i = from; i < to; i++) {
            if (problems != null) {
              Problem p = problems.get(i);
              List<Generation> gs = res.get(i - from);
              for (int j = 0; j < gs.size(); j++) {
                records.add(Jsonl.MAPPER.valueToTree(new Candidate(p.id(), p.id() + "-c" + j, p.question(),
                    gs.get(j).text(), p.answer(), null, null)));
                generated += gs.get(j).tokens().length;
              }
              continue;
            }
            ObjectNode rec = Jsonl.MAPPER.createObjectNode();
            rec.put("prompt", prompts.get(i));
            ArrayNode cs = rec.putArray("completions");
            for (Generation g : res.get(i - from)) {
              cs.addObject().put("text", g.text()).put("finish_reason", g.finishReason());
              generated += g.tokens().length;
            }
            records.add(rec);
          }
          pb.stepTo(to);
        }
      }
      promptCount = prompts.size();
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    PrintWriter pw = spec.commandLine().getOut();
    if (out != null) {
      Jsonl.write(out, records);
    } else {
      records.forEach(r -> pw.println(Jsonl.toJson(r)));
    }
    pw.flush();
    spec.commandLine().getErr().printf("%d prompts x %d completions, %d tokens in %.1f s (%.1f tok/s)%s%n",
        promptCount, n, generated, secs, generated / Math.max(1e-9, secs), out != null ? "; wrote " + out : "");
    spec.commandLine().getErr().flush();
    return 0;
  }
}
