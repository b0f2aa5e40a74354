package io.genrm4j.eval;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.io.SafetensorsDtype;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.AlgorithmicTask;
import io.genrm4j.task.BaseCorpus;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.ProcessLock;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.GenRmCot;
import io.genrm4j.verify.GenRmDirect;
import io.genrm4j.verify.OracleVerdictProbe;
import io.genrm4j.verify.VerifierData;
import io.genrm4j.verify.VerifierScore;
import io.genrm4j.verify.VerifierTrainer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import me.tongfei.progressbar.ProgressBar;

/**
 * A pretrained base (issue #21 step 2): a model of the experiment's shape and tokenizer trained on a
 * {@link BaseCorpus}, from which the generator (and through it every verifier) starts. Built once per machine in a
 * cache directory named by the recipe and a hash of everything that decides its weights, and shared by every task,
 * profile and seed; {@code base.json} beside the checkpoint says how it was built and what it can do.
 */
public final class Pretraining {
  private Pretraining() {}

  static final Prompts.Format FORMAT = Experiment.FORMAT;
  /** The file that marks a finished base (written last). */
  public static final String BASE_JSON = "base.json";

  /** Where bases are kept: {@code -Dgenrm4j.cache}, else {@code $GENRM4J_CACHE}, else {@code ~/.cache/genrm4j}. */
  public static Path cacheRoot() {
    String p = System.getProperty("genrm4j.cache");
    if (p == null || p.isBlank()) {
      p = System.getenv("GENRM4J_CACHE");
    }
    return p == null || p.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "genrm4j") : Path.of(p);
  }

  /** What identifies the tokenizer in a base's hash: its alphabet and phrase tokens. */
  private static String tokenizerKey(CharTokenizer tok) {
    return tok.alphabet() + "|" + tok.phrases();
  }

  /** The checkpoint directory of a base (built or not). */
  public static Path dir(BaseRecipe r, String preset, CharTokenizer tok) {
    return cacheRoot().resolve("bases").resolve(r.name() + "-" + preset + "-" + r.hash(preset, tokenizerKey(tok)));
  }

  /** The base's directory, built first when missing; {@code bars} makes a progress bar of that many steps. */
  public static synchronized Path ensure(BaseRecipe r, String preset, CharTokenizer tok, LongFunction<ProgressBar> bars,
      PrintStream err) {
    Path dir = dir(r, preset, tok);
    if (Files.exists(dir.resolve(BASE_JSON))) {
      return dir;
    }
    // Runs in other processes (another seed, another profile) share the cache: one builds, the others wait for it.
    Path lockFile = dir.resolveSibling("." + dir.getFileName() + ".lock");
    try (ProcessLock lock = ProcessLock.waitFor(lockFile, () -> err.println("base '" + r.name() + "' (" + preset
        + "): another genrm process is building it; waiting"))) {
      if (Files.exists(dir.resolve(BASE_JSON))) {
        return dir;
      }
      if (unpackBundled(dir)) {
        err.println("base '" + r.name() + "' (" + preset + "): the copy shipped with genrm4j, unpacked to " + dir);
        return dir;
      }
      err.println("building base '" + r.name() + "' (" + preset + ", " + r.steps() + " steps) in " + dir);
      build(r, preset, tok, dir, bars, err);
      return dir;
    }
  }

  /**
   * Where bases ship inside the jar, by cache directory name: small F16 checkpoints that this class builds (rebuilt
   * by deleting the cache copy and running {@code genrm pretrain} with the recipe), so a user need not spend the hour.
   */
  static final String BUNDLED = "/io/genrm4j/bases/";
  /** A base directory's files, {@link #BASE_JSON} (the marker) last. */
  private static final List<String> BASE_FILES =
      List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", BASE_JSON);

  /** Whether a copy of this base ships inside the jar. */
  public static boolean isBundled(BaseRecipe r, String preset, CharTokenizer tok) {
    return Pretraining.class.getResource(BUNDLED + dir(r, preset, tok).getFileName() + "/" + BASE_JSON) != null;
  }

  /** Copies the bundled base of {@code dir}'s name into {@code dir}; false when none ships under that name. */
  private static boolean unpackBundled(Path dir) {
    String at = BUNDLED + dir.getFileName() + "/";
    if (Pretraining.class.getResource(at + BASE_JSON) == null) {
      return false;
    }
    for (String f : BASE_FILES) {
      try (InputStream in = Pretraining.class.getResourceAsStream(at + f)) {
        if (in == null) {
          throw new IllegalStateException("the bundled base " + at + " lacks " + f);
        }
        AtomicFiles.write(dir.resolve(f), in::transferTo);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot unpack the bundled base " + at + ": " + e.getMessage(), e);
      }
    }
    return true;
  }

  /** A built base's {@code base.json}. */
  public static JsonNode readInfo(Path dir) {
    try {
      return Jsonl.MAPPER.readTree(dir.resolve(BASE_JSON).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(BASE_JSON) + ": " + e.getMessage(), e);
    }
  }

  /** Corpora already drawn, by spec: a run's generator and each replaying verifier read the same one. */
  private static final Map<BaseCorpus.Spec, List<BaseCorpus.Item>> CORPORA = new ConcurrentHashMap<>();

  /** A recipe's corpus (unmodifiable), drawn once per JVM (54,000 items for related-lists). */
  static List<BaseCorpus.Item> corpus(BaseRecipe r) {
    return CORPORA.computeIfAbsent(r.corpus(), spec -> List.copyOf(BaseCorpus.items(spec)));
  }

  /** The fresh model every base and every generator starts from. */
  static LlamaModel freshModel(String preset, CharTokenizer tok, long seed, NDManager root) {
    return LlamaModel.init(Presets.get(preset, tok.vocabSize()).withTiedEmbeddings(GeneratorStage.TIED_EMBEDDINGS),
        seed, root);
  }

  /**
   * The corpus as token examples: solutions (loss on the solution), direct (the label, weighing {@code labelWeight}
   * tokens), CoT (rationale + verdict, laid out by {@code cot}).
   */
  static List<TokenExample> examples(CharTokenizer tok, List<BaseCorpus.Item> items, double labelWeight,
      BaseRecipe.CotLayout cot) {
    List<TokenExample> out = new ArrayList<>();
    for (BaseCorpus.Item i : items) {
      var l = new VerifierData.Labeled(i.problem().question(), i.candidate(), i.correct(), i.rationaleBody());
      out.addAll(switch (i.kind()) {
        case SOLUTION -> VerifierData.solutionSft(tok, FORMAT, List.of(l), 1f);
        case DIRECT -> List.of(VerifierData.direct(tok, FORMAT, List.of(l)).get(0).withWeight((float) labelWeight));
        case COT -> VerifierData.cot(tok, FORMAT, List.of(l), cot.positions(), cot.verdictWeight(), cot.comparison());
      });
    }
    return out;
  }

  private static void build(BaseRecipe r, String preset, CharTokenizer tok, Path dir, LongFunction<ProgressBar> bars,
      PrintStream err) {
    Path first = r.from() == null ? null : ensure(BaseRecipe.named(r.from()), preset, tok, bars, err);
    List<BaseCorpus.Item> items = corpus(r);
    List<TokenExample> data = examples(tok, items, r.labelWeight(), r.cot());
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = first == null ? freshModel(preset, tok, r.corpus().seed(), root)
            : Checkpoint.load(first, root).model()) {
      TrainConfig cfg = TrainConfig.defaults(r.steps(), r.batch(), r.lr(), r.corpus().seed() + 1);
      Trainer.Result res;
      try (ProgressBar bar = bars.apply(r.steps())) {
        res = VerifierTrainer.sft(m, tok, data, cfg, l -> {
          bar.stepTo(l.step());
          bar.setExtraMessage(String.format(Locale.ROOT, " loss %.3f", l.loss()));
        });
      }
      ObjectNode o = Jsonl.MAPPER.createObjectNode();
      o.put("recipe", r.name());
      o.put("recipe_spec", r.toString());
      if (r.from() != null) {
        o.put("from", first.getFileName().toString());
      }
      o.put("preset", preset);
      o.put("hash", r.hash(preset, tokenizerKey(tok)));
      Map<BaseCorpus.Kind, Integer> byKind = new EnumMap<>(BaseCorpus.Kind.class);
      items.forEach(i -> byKind.merge(i.kind(), 1, Integer::sum));
      ObjectNode counts = o.putObject("corpus");
      byKind.forEach((k, v) -> counts.put(k.name().toLowerCase(Locale.ROOT), v));
      o.put("steps", res.steps());
      o.put("tokens", res.tokens());
      o.put("seconds", res.seconds());
      o.put("final_loss", res.finalLoss());
      // F16 keeps a tiny base small enough to ship; what it can do is measured on the saved weights
      Checkpoint.save(m, tok, dir, SafetensorsDtype.F16);
      o.put("dtype", SafetensorsDtype.F16.name());
      try (Checkpoint.Loaded saved = Checkpoint.load(dir, root)) {
        o.set("abilities", abilities(saved.model(), tok, r, r.corpus().seed() + 2, r.name().startsWith("test") ? 4 : 32));
      }
      AtomicFiles.writeString(dir.resolve(BASE_JSON), Experiment.pretty(o));
    }
  }

  /**
   * What the base can do before any fine-tuning, on fresh problems of its target task T (last-letter or word
   * sorting): greedy T solutions at 3 items (in distribution), at T's out-of-distribution length and at the corpus's
   * two longest lengths but one (last-letter: 3, 6, 8, 10 names); direct verification of the closest related task at
   * the corpus's three longest lengths; and direct verification of T at its out-of-distribution length, which it
   * never read (only transfer can make that AUROC exceed 0.5). When the corpus holds CoT items, also the CoT
   * judgement given the oracle's rationale ({@link OracleVerdictProbe}) on the closest related task at the three
   * longest lengths and, zero-shot, on T at 3 items and its out-of-distribution length. Keys start with T's name
   * ({@code last_letter_greedy_solved}).
   */
  static ObjectNode abilities(LlamaModel m, CharTokenizer tok, BaseRecipe r, long seed, int count) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    AlgorithmicTask target = BaseCorpus.task(r.target());
    String key = abilityPrefix(target.name());
    int ood = target.oodLength();
    int max = r.corpus().maxItems();
    int[] longest = {max - 2, max - 1, max};
    String longestKey = "_" + (max - 2) + "_to_" + max;
    Random rng = new Random(seed);
    ObjectNode solved = o.putObject(greedySolvedKey(target.name()));
    for (int n : new int[] {3, ood, max - 2, max}) {
      List<Problem> ps = fresh(target, n, count, rng);
      List<String> prompts = ps.stream().map(p -> FORMAT.solve(p.question())).toList();
      int maxTokens = tok.encode(ps.get(0).referenceSolution()).length * 3 / 2 + 16;
      List<Generation> gens = new Generator(m, tok).generate(prompts, SamplingParams.greedy(maxTokens));
      int right = 0;
      for (int i = 0; i < ps.size(); i++) {
        right += target.grade(ps.get(i), gens.get(i).text()).correct() ? 1 : 0;
      }
      solved.put(String.valueOf(n), right / (double) ps.size());
    }
    List<String> related = BaseCorpus.relatedTo(target.name());
    AlgorithmicTask closest = BaseCorpus.related(related.get(related.size() - 1));
    o.set(closest.name() + "_direct" + longestKey, directQuality(m, tok, closest, longest, count * 2, rng));
    o.set(key + "_direct_" + ood + "_zero_shot", directQuality(m, tok, target, new int[] {ood}, count * 2, rng));
    if (r.corpus().verificationKinds().contains(BaseCorpus.Kind.COT)) {
      BaseRecipe.CotLayout cot = r.cot();
      o.set(closest.name() + "_cot_judgement" + longestKey, cotJudgement(m, tok, cot, closest, longest, count * 2,
          rng));
      for (int n : new int[] {3, ood}) {
        o.set(key + "_cot_judgement_" + n + "_zero_shot", cotJudgement(m, tok, cot, target, new int[] {n},
            count * 2, rng));
      }
    }
    return o;
  }

  /** The prefix of a target task's keys in {@code abilities}: its name in snake case ({@code last_letter}). */
  private static String abilityPrefix(String target) {
    return target.replace('-', '_');
  }

  /** The {@code abilities} key of the target task's greedy accuracy by list length. */
  public static String greedySolvedKey(String target) {
    return abilityPrefix(target) + "_greedy_solved";
  }

  /** Half correct, half one-mistake candidates of {@code t} at {@code lengths}, in turn; labels by the grader. */
  private record Graded(List<Problem> problems, List<String> candidates, boolean[] correct) {}

  private static Graded graded(AlgorithmicTask t, int[] lengths, int count, Random rng) {
    List<Problem> ps = new ArrayList<>();
    List<String> cs = new ArrayList<>();
    boolean[] y = new boolean[count];
    AlgorithmicTask.Mistake[] mistakes = AlgorithmicTask.Mistake.values();
    for (int i = 0; i < count; i++) {
      Problem p = fresh(t, lengths[i % lengths.length], 1, rng).get(0);
      List<String> words = t.words(p.question());
      String c = i % 2 == 0 ? p.referenceSolution() : t.withMistake(words, mistakes[rng.nextInt(mistakes.length)], rng);
      ps.add(p);
      cs.add(c);
      y[i] = t.grade(p, c).correct();
    }
    return new Graded(ps, cs, y);
  }

  /**
   * The CoT judgement's AUROC and accuracy (margin above 0) given the oracle's rationale: is the comparison itself
   * learned at lengths the target task is never verified at?
   */
  private static ObjectNode cotJudgement(LlamaModel m, CharTokenizer tok, BaseRecipe.CotLayout cot,
      AlgorithmicTask t, int[] lengths, int count, Random rng) {
    Graded g = graded(t, lengths, count, rng);
    List<GenRmCot.Candidate> items = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Problem p = g.problems().get(i);
      items.add(new GenRmCot.Candidate(p.question(), g.candidates().get(i)));
      bodies.add(cot.comparison().apply(t.rationaleBody(p, g.candidates().get(i), g.correct()[i])));
    }
    double[] margins = OracleVerdictProbe.margins(m, tok, FORMAT, cot.positions(), items, bodies);
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("candidates", count);
    o.put("auroc", VerifierMetrics.auroc(margins, g.correct()));
    o.put("accuracy", VerifierMetrics.accuracy(margins, g.correct(), 0));
    return o;
  }

  /** GenRM-direct AUROC and accuracy at 0.5 on half correct, half one-mistake candidates. */
  private static ObjectNode directQuality(LlamaModel m, CharTokenizer tok, AlgorithmicTask t, int[] lengths,
      int count, Random rng) {
    Graded g = graded(t, lengths, count, rng);
    List<String> qs = g.problems().stream().map(Problem::question).toList();
    List<List<String>> cands = g.candidates().stream().map(List::of).toList();
    List<List<VerifierScore>> s = new GenRmDirect(m, tok, FORMAT).scoreAll(qs, cands);
    double[] scores = new double[count];
    for (int i = 0; i < count; i++) {
      scores[i] = s.get(i).get(0).pYes();
    }
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("candidates", count);
    o.put("auroc", VerifierMetrics.auroc(scores, g.correct()));
    o.put("accuracy", VerifierMetrics.accuracy(scores, g.correct(), 0.5));
    return o;
  }

  /** {@code count} random problems of {@code n} items (the corpus drew its own with another seed). */
  private static List<Problem> fresh(AlgorithmicTask t, int n, int count, Random rng) {
    List<Problem> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(t.randomProblem(n, rng));
    }
    return out;
  }
}
