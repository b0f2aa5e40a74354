package io.genrm4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.Autograd;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.LogProbs;
import io.genrm4j.model.ModelConfig;
import io.genrm4j.model.Presets;
import io.genrm4j.model.TokenBatch;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.train.Losses;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code genrm bench}: throughput and model FLOP utilisation of this machine. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measures tokens/s and model FLOP utilisation (MFU) on this machine, FP32.",
      "Peak rate: best of 10 runs of a 1024x1024 @ 1024x1024 FP32 matmul via DJL, measured in the same run.",
      "Model FLOPs per token (PaLM appendix B convention, non-causal attention count):",
      "  train:   6*N + 12*L*T*d      forward: 2*N + 4*L*T*d",
      "  N = matmul parameters (all parameters, embedding lookup excluded, LM head included; tied embeddings count "
          + "once as the head), L = layers, T = sequence length, d = heads*head_dim.",
      "MFU = (tokens/s * FLOPs per token) / measured matmul rate."
    },
    subcommands = {BenchCommand.Train.class, BenchCommand.Forward.class, BenchCommand.Sample.class,
        BenchCommand.Score.class})
final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every bench shares. */
  static final class Opts {
    @Option(names = "--preset", defaultValue = "medium", description = "model size (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--vocab", defaultValue = "256", description = "vocabulary size (default: ${DEFAULT-VALUE})")
    int vocab;

    @Option(names = "--seq-len", defaultValue = "256", description = "tokens per sequence (default: ${DEFAULT-VALUE})")
    int seqLen;

    @Option(names = "--batch-size", defaultValue = "8", description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--steps", defaultValue = "10", description = "timed steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup-steps", defaultValue = "2", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmupSteps;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: engine default)")
    Integer threads;

    @Option(names = "--model", description = "the shape of this Hugging Face checkpoint's config.json (any supported "
        + "family) instead of --preset/--vocab; weights are random, so a random-weight directory converted for "
        + "llama.cpp compares on the same shape")
    java.nio.file.Path model;

    @picocli.CommandLine.Mixin DtypeOption dtype = new DtypeOption();

    /** The benched shape: {@code --model}'s config (its vocabulary and name then stand for --vocab/--preset). */
    ModelConfig shape() {
      if (model == null) {
        return Presets.get(preset, vocab);
      }
      ModelConfig c = ModelConfig.read(model.resolve("config.json")).withNumLabels(0);
      vocab = c.vocabSize();
      preset = model.getFileName() + " (" + c.modelType() + ")";
      return c;
    }

    void check() {
      if (vocab < 4 || seqLen < 2 || batchSize <= 0 || steps <= 0 || warmupSteps < 0) {
        throw new UserException("--vocab >= 4, --seq-len >= 2, --batch-size and --steps > 0, --warmup-steps >= 0");
      }
    }
  }

  /** What every bench measures before its own work. */
  static final class Setup {
    final NDManager mgr;
    final LlamaModel model;
    final ModelConfig cfg;
    final double peakGflops;
    final int threads;
    double peakAfter;

    Setup(NDManager mgr, LlamaModel model, ModelConfig cfg, double peakGflops, int threads) {
      this.mgr = mgr;
      this.model = model;
      this.cfg = cfg;
      this.peakGflops = peakGflops;
      this.threads = threads;
    }

    /** Measures the matmul rate again after the run (other processes may have slowed either measurement). */
    double peak() {
      peakAfter = matmulGflops(mgr);
      return Math.max(peakGflops, peakAfter);
    }
  }

  static Setup setup(Opts o) {
    o.check();
    NDManager mgr = Cli.manager();
    if (o.threads != null) {
      JniUtils.setNumThreads(o.threads);
    }
    ModelConfig cfg = o.shape();
    if (o.seqLen > cfg.maxPositionEmbeddings()) {
      throw new UserException("--seq-len exceeds max_position_embeddings " + cfg.maxPositionEmbeddings());
    }
    double peak = matmulGflops(mgr);
    return new Setup(mgr, o.dtype.apply(LlamaModel.init(cfg, 0, mgr)), cfg, peak, JniUtils.getNumThreads());
  }

  /** Best-of-10 GFLOP/s of a 1024^3 FP32 matmul. */
  static double matmulGflops(NDManager parent) {
    int n = 1024;
    try (NDManager m = parent.newSubManager()) {
      NDArray a = m.randomNormal(new Shape(n, n));
      NDArray b = m.randomNormal(new Shape(n, n));
      double best = Double.MAX_VALUE;
      for (int i = 0; i < 12; i++) {
        long t0 = System.nanoTime();
        try (NDArray c = a.matMul(b)) {
          c.getFloat(0, 0);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        if (i >= 2) {
          best = Math.min(best, s);
        }
      }
      return 2.0 * n * n * n / best / 1e9;
    }
  }

  /** Matmul parameters: the embedding lookup costs no FLOPs, the LM head does. */
  static long flopParams(ModelConfig c) {
    return c.parameterCount() - (c.tieWordEmbeddings() ? 0 : (long) c.vocabSize() * c.hiddenSize());
  }

  static double attnFlops(ModelConfig c, int t, int factor) {
    return (double) factor * c.numHiddenLayers() * t * c.numAttentionHeads() * c.headDim();
  }

  static List<int[]> randomRows(int rows, int len, int vocab, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      int[] ids = new int[len];
      for (int j = 0; j < len; j++) {
        ids[j] = 3 + r.nextInt(vocab - 3);
      }
      out.add(ids);
    }
    return out;
  }

  static long heapPeakBytes() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
        sum += p.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  /** VmHWM (peak resident set) of this process in bytes, or -1 where /proc is absent. */
  static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux
    }
    return -1;
  }

  static void table(PrintWriter pw, String title, Setup s, Opts o, String[][] rows) {
    List<String[]> all = new ArrayList<>();
    all.add(new String[] {"model", o.preset + " (" + s.cfg.numHiddenLayers() + "L, d=" + s.cfg.hiddenSize()
        + ", vocab " + s.cfg.vocabSize() + ", " + Cli.human(s.cfg.parameterCount()) + " params, N="
        + Cli.human(flopParams(s.cfg)) + ")"});
    all.add(new String[] {"threads", Integer.toString(s.threads)});
    all.add(new String[] {"plain-Java decoding's weights (--dtype)", o.dtype.get().name()});
    all.add(new String[] {"matmul rate before / after the run (1024^3 FP32, best of 10)",
        String.format("%.1f / %.1f GFLOP/s (MFU uses the larger)", s.peakGflops, s.peakAfter)});
    all.addAll(Arrays.asList(rows));
    all.add(new String[] {"JVM heap peak (MemoryPoolMXBean) / now (MemoryMXBean)", String.format("%.0f MiB / %.0f MiB",
        heapPeakBytes() / 1048576.0,
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0)});
    all.add(new String[] {"process RSS peak (VmHWM)", String.format("%.0f MiB", peakRssBytes() / 1048576.0)});
    int w = all.stream().mapToInt(r -> r[0].length()).max().orElse(10);
    pw.println(title);
    pw.println("| " + pad("metric", w) + " | value |");
    pw.println("|" + "-".repeat(w + 2) + "|-------|");
    for (String[] r : all) {
      pw.println("| " + pad(r[0], w) + " | " + r[1] + " |");
    }
    pw.flush();
  }

  private static String pad(String s, int w) {
    return s + " ".repeat(Math.max(0, w - s.length()));
  }

  static String[][] throughput(double tokPerS, double flopsPerToken, double peakGflops, String formula,
      double secPerStep) {
    double achieved = tokPerS * flopsPerToken / 1e9;
    return new String[][] {
      {"seconds per step (mean of timed steps)", String.format("%.3f", secPerStep)},
      {"tokens/s", String.format("%.0f", tokPerS)},
      {"model FLOPs per token (" + formula + ")", Cli.human(flopsPerToken)},
      {"achieved model GFLOP/s", String.format("%.1f", achieved)},
      {"MFU (achieved / matmul peak)", String.format("%.1f%%", 100 * achieved / peakGflops)},
    };
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Times full training steps (forward, backward, AdamW with clipping) on random tokens; "
          + "FLOPs per token 6*N + 12*L*T*d.")
  static final class Train implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Opts o = new Opts();

    @Option(names = "--breakdown", description = "also time forward+loss, backward and the AdamW step separately")
    boolean breakdown;

    @Option(names = "--lora-rank", defaultValue = "0", description = "train LoRA adapters of this rank (alpha 2r) on "
        + "every linear layer instead of all weights; 0 = full training (default: ${DEFAULT-VALUE})")
    int loraRank;

    @Override
    public Integer call() {
      if (loraRank < 0) {
        throw new UserException("--lora-rank must be >= 0");
      }
      Setup s = setup(o);
      try (NDManager mgr = s.mgr; LlamaModel model = s.model) {
        if (loraRank > 0) {
          model.attachLora(new io.genrm4j.model.Lora(loraRank, 2.0 * loraRank, 0, io.genrm4j.model.Lora.ALL_LINEAR),
              0, null);
        }
        List<TokenExample> data = new ArrayList<>();
        for (int[] ids : randomRows(o.batchSize * 4, o.seqLen, o.vocab, 1)) {
          boolean[] t = new boolean[ids.length];
          Arrays.fill(t, 1, t.length, true);
          data.add(new TokenExample(ids, t, 1f));
        }
        int total = o.warmupSteps + o.steps;
        double[] at = new double[total + 1];
        TrainConfig cfg = TrainConfig.defaults(total, o.batchSize, 1e-4, 0).withWarmupSteps(1);
        try (ProgressBar pb = Cli.progress("bench train", total, "step")) {
          Trainer.train(model, data, Losses.sft(0), cfg, l -> {
            at[(int) l.step()] = l.seconds();
            pb.stepTo(l.step());
          });
        }
        double secs = (at[total] - at[o.warmupSteps]) / o.steps;
        double tokPerS = (double) o.batchSize * o.seqLen / secs;
        double fpt = 6.0 * flopParams(s.cfg) + attnFlops(s.cfg, o.seqLen, 12);
        String[][] rows = throughput(tokPerS, fpt, s.peak(), "6N + 12LTd", secs);
        long trainable = model.trainableParameters().values().stream().mapToLong(NDArray::size).sum();
        rows = concat(rows, new String[][] {
          {"trainable parameters", String.format("%,d", trainable) + (loraRank > 0 ? " (LoRA r " + loraRank + ")" : "")},
          {"AdamW state (MB, two FP32 moments)", String.format("%.1f", trainable * 8 / 1e6)}});
        if (breakdown) {
          rows = concat(rows, breakdown(model, data.subList(0, o.batchSize), o.steps));
        }
        table(spec.commandLine().getOut(), String.format("bench train: preset %s, batch %d x seq %d, %d timed steps",
            o.preset, o.batchSize, o.seqLen, o.steps), s, o, rows);
      }
      return 0;
    }
  }

  /** Mean seconds of forward+loss, backward and optimizer step over {@code steps} steps (after one warm-up). */
  static String[][] breakdown(LlamaModel model, List<TokenExample> batch, int steps) {
    NDManager root = model.manager();
    model.setRequiresGradient(true);
    io.genrm4j.train.AdamW opt = new io.genrm4j.train.AdamW(model.trainableParameters(), root, 0.9, 0.95, 1e-8,
        0.01);
    double fwd = 0;
    double bwd = 0;
    double upd = 0;
    try {
      for (int i = 0; i <= steps; i++) {
        long t0 = System.nanoTime();
        long t1;
        try (NDManager sm = root.newSubManager();
            Autograd.Recording gc = Autograd.record()) {
          NDArray loss = Losses.sft(0).loss(model, batch, sm);
          loss.getFloat();
          t1 = System.nanoTime();
          gc.backward(loss);
        }
        long t2 = System.nanoTime();
        opt.step(1e-4, 1.0);
        long t3 = System.nanoTime();
        if (i > 0) {
          fwd += (t1 - t0) / 1e9;
          bwd += (t2 - t1) / 1e9;
          upd += (t3 - t2) / 1e9;
        }
      }
    } finally {
      opt.close();
      model.setRequiresGradient(false);
    }
    return new String[][] {
      {"breakdown: forward + loss (s/step)", String.format("%.3f", fwd / steps)},
      {"breakdown: backward (s/step)", String.format("%.3f", bwd / steps)},
      {"breakdown: AdamW step incl. grad norm (s/step)", String.format("%.3f", upd / steps)},
    };
  }

  static String[][] concat(String[][] a, String[][] b) {
    String[][] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Command(name = "forward", mixinStandardHelpOptions = true,
      description = "Times no-grad forward passes with LM head and log-softmax (teacher-forced scoring); "
          + "FLOPs per token 2*N + 4*L*T*d.")
  static final class Forward implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Opts o = new Opts();

    @Option(names = "--logits", defaultValue = "all", description = "all: LM head and log-softmax at every position "
        + "(teacher-forced scoring, training's forward); last: at the last position only, a prompt's prefill as "
        + "sampling and scoring run it (in plain Java where the model has a decoder there) and as llama-bench's pp "
        + "test (default: ${DEFAULT-VALUE})")
    String logits;

    @Override
    public Integer call() {
      if (!logits.equals("all") && !logits.equals("last")) {
        throw new UserException("--logits must be all or last, got " + logits);
      }
      boolean last = logits.equals("last");
      Setup s = setup(o);
      try (NDManager mgr = s.mgr; LlamaModel model = s.model) {
        List<int[]> rows = randomRows(o.batchSize, o.seqLen, o.vocab, 1);
        int total = o.warmupSteps + o.steps;
        long t0 = 0;
        try (ProgressBar pb = Cli.progress("bench forward", total, "step")) {
          for (int i = 0; i < total; i++) {
            if (i == o.warmupSteps) {
              t0 = System.nanoTime();
            }
            try (NDManager sm = mgr.newSubManager()) {
              if (last) { // a prompt's prefill, as sampling and scoring run it
                NDArray h = model.append(model.emptyCache(rows.size()), rows, 0, sm).hidden();
                model.logits(h.get(":, " + (o.seqLen - 1) + ":, :")).logSoftmax(2).getFloat(0, 0, 0);
              } else {
                LogProbs.ofTargets(model, TokenBatch.rightPadded(rows, 0, sm)).getFloat(0, 0);
              }
            }
            pb.stepTo(i + 1);
          }
        }
        double secs = (System.nanoTime() - t0) / 1e9 / o.steps;
        double tokPerS = (double) o.batchSize * o.seqLen / secs;
        // with the head at one position in T, the head's 2Vd FLOPs count once per row, not per token
        double head = (double) s.cfg.vocabSize() * s.cfg.hiddenSize();
        double fpt = 2.0 * flopParams(s.cfg) + attnFlops(s.cfg, o.seqLen, 4) - (last ? 2 * head * (1 - 1.0 / o.seqLen)
            : 0);
        String where = !last ? "every position"
            : "the last position (a prefill in " + (model.rowDecoder() != null ? "plain Java)" : "the engine)");
        table(spec.commandLine().getOut(), String.format("bench forward: preset %s, batch %d x seq %d, logits at %s, "
            + "%d timed steps", o.preset, o.batchSize, o.seqLen, where, o.steps), s, o, throughput(tokPerS, fpt,
            s.peak(), last ? "2N - 2Vd(1 - 1/T) + 4LTd" : "2N + 4LTd", secs));
      }
      return 0;
    }
  }

  @Command(name = "sample", mixinStandardHelpOptions = true,
      description = "Greedy decoding of one sequence: --seq-len prompt tokens, then --new-tokens tokens, with the "
          + "KV cache (Generator) and without it (full recompute per token). --batch-size and --steps are ignored.")
  static final class Sample implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Opts o = new Opts();

    @Option(names = "--new-tokens", defaultValue = "64", description = "tokens to generate (default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--recompute", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "also decode without the cache, re-encoding everything per token, and check the tokens agree "
            + "(slow for long prompts; --no-recompute skips it)")
    boolean recompute;

    @Override
    public Integer call() {
      Setup s = setup(o);
      try (NDManager mgr = s.mgr; LlamaModel model = s.model) {
        int[] prompt = randomRows(1, o.seqLen, o.vocab, 1).get(0);
        Generator gen = new Generator(model, CharTokenizer.of(alphabet(o.vocab - 3)));
        SamplingParams p = new SamplingParams(newTokens, 0, 1, 0, List.of(), 0, false, 0);
        gen.sampleShared(List.of(prompt), 1, p.withSeed(1)); // warm-up
        // the median of three runs of each (llama-bench reports a mean): on a tiny model one slow prefill could
        // otherwise exceed a whole decode's time
        SamplingParams prefillOnly = new SamplingParams(1, 0, 1, 0, List.of(), 0, false, 0);
        double[] prefills = new double[3];
        double[] decodes = new double[3];
        int[] cached = null;
        for (int run = 0; run < 3; run++) {
          long t0 = System.nanoTime();
          gen.sampleShared(List.of(prompt), 1, prefillOnly);
          prefills[run] = (System.nanoTime() - t0) / 1e9;
          t0 = System.nanoTime();
          cached = gen.sampleShared(List.of(prompt), 1, p).get(0).get(0).tokens();
          decodes[run] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(prefills);
        Arrays.sort(decodes);
        double prefill = prefills[1];
        double withCache = decodes[1];
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"with KV cache: tokens/s (incl. prefill)", String.format("%.1f", newTokens / withCache)});
        rows.add(new String[] {"decode tokens/s (after the prefill and first token)", withCache > prefill
            ? String.format("%.1f", (newTokens - 1) / (withCache - prefill)) : "too short to time"});
        if (recompute) {
          long t0 = System.nanoTime();
          int[] plain = greedyByRecomputing(model, prompt);
          double noCache = (System.nanoTime() - t0) / 1e9;
          rows.add(new String[] {"without cache (recompute): tokens/s", String.format("%.1f", newTokens / noCache)});
          rows.add(new String[] {"speed-up", String.format("%.1fx", noCache / withCache)});
          rows.add(new String[] {"same greedy tokens both ways", Boolean.toString(Arrays.equals(cached, plain))});
        }
        s.peak();
        table(spec.commandLine().getOut(), String.format("bench sample: preset %s, prompt %d tokens, %d new tokens, "
            + "greedy, batch 1", o.preset, o.seqLen, newTokens), s, o, rows.toArray(new String[0][]));
      }
      return 0;
    }

    /** {@code newTokens} greedy tokens, each from a forward pass over everything so far (no cache). */
    private int[] greedyByRecomputing(LlamaModel model, int[] prompt) {
      int[] ids = Arrays.copyOf(prompt, prompt.length + newTokens);
      int[] plain = new int[newTokens];
      for (int i = 0; i < newTokens; i++) {
        float[] lp = Scoring.nextTokenLogProbs(model, 0, Arrays.copyOf(ids, prompt.length + i));
        int best = 0;
        for (int j = 1; j < lp.length; j++) {
          best = lp[j] > lp[best] ? j : best;
        }
        plain[i] = best;
        ids[prompt.length + i] = best;
      }
      return plain;
    }

    /** n distinct characters from U+0100 on, past the surrogate block (a vocabulary of Qwen's 151,936 reaches it). */
    private static String alphabet(int n) {
      StringBuilder sb = new StringBuilder();
      for (int cp = 0x100; n > 0; cp++) {
        if (cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE) {
          sb.appendCodePoint(cp);
          n--;
        }
      }
      return sb.toString();
    }
  }

  @Command(name = "score", mixinStandardHelpOptions = true,
      description = {"Verification throughput on GSM8K-length prompts (the paper's preamble + a GSM8K test question "
          + "and its reference solution, character-level): GenRM direct candidates/s, GenRM-CoT votes/s, and the "
          + "speed-up of encoding each candidate's prefix once and sampling its K rationales from the cached prefix "
          + "over encoding the prefix once per rationale. Random weights: rationales run to --rationale-tokens.",
          "--seq-len, --batch-size and --steps are ignored."})
  static final class Score implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Opts o = new Opts();

    @Option(names = "--votes", defaultValue = "32", description = "rationales per candidate (default: ${DEFAULT-VALUE})")
    int votes;

    @Option(names = "--candidates", defaultValue = "4", description = "candidates scored (default: ${DEFAULT-VALUE})")
    int candidates;

    @Option(names = "--rationale-tokens", defaultValue = "32",
        description = "tokens per sampled rationale (default: ${DEFAULT-VALUE})")
    int rationaleTokens;

    @Option(names = "--reencode-votes", defaultValue = "4", description = "votes per candidate timed the slow way, "
        + "encoding the prefix once per vote, for the speed-up of sharing it; 0 skips (default: ${DEFAULT-VALUE})")
    int reencodeVotes;

    @Override
    public Integer call() {
      if (votes < 1 || candidates < 1 || rationaleTokens < 1 || reencodeVotes < 0) {
        throw new UserException("--votes, --candidates and --rationale-tokens must be positive, --reencode-votes >= 0");
      }
      NDManager mgr = Cli.manager();
      if (o.threads != null) {
        JniUtils.setNumThreads(o.threads);
      }
      List<io.genrm4j.task.Problem> ps = io.genrm4j.task.Tasks.GSM8K.problems(io.genrm4j.task.Split.TEST_ID,
          candidates, 0);
      StringBuilder chars = new StringBuilder(io.genrm4j.task.Prompts.PREAMBLE);
      for (int c = 32; c < 127; c++) {
        chars.append((char) c);
      }
      chars.append('\n');
      ps.forEach(p -> chars.append(p.question()).append(io.genrm4j.task.Tasks.GSM8K.solve(p)));
      String alphabet = chars.codePoints().distinct().collect(StringBuilder::new, StringBuilder::appendCodePoint,
          StringBuilder::append).toString();
      ModelConfig shape = o.model == null ? null : o.shape();
      if (shape != null) { // pad the alphabet so that every id the random model samples decodes
        StringBuilder more = new StringBuilder(alphabet);
        for (int cp = 0x4E00; more.codePointCount(0, more.length()) + 3 < shape.vocabSize(); cp++) {
          more.appendCodePoint(cp);
        }
        alphabet = more.toString();
      }
      CharTokenizer tok = CharTokenizer.of(alphabet);
      ModelConfig cfg = o.model == null ? Presets.get(o.preset, tok.vocabSize()).toBuilder()
          .maxPositionEmbeddings(2048).build() // paper prompts are long
          : shape;
      if (cfg.vocabSize() < tok.vocabSize()) {
        throw new UserException("--model's vocabulary (" + cfg.vocabSize() + ") is smaller than the bench's "
            + "character tokenizer (" + tok.vocabSize() + ")");
      }
      double peak = matmulGflops(mgr);
      try (mgr; LlamaModel model = o.dtype.apply(LlamaModel.init(cfg, 0, mgr))) {
        io.genrm4j.task.Prompts.Format f = io.genrm4j.task.Prompts.Format.PAPER;
        io.genrm4j.verify.GenRmDirect direct = new io.genrm4j.verify.GenRmDirect(model, tok, f);
        Generator gen = new Generator(model, tok);
        SamplingParams sp = new SamplingParams(rationaleTokens, 0.7, 1, 0, List.of(), 1, false, 0);
        List<int[]> prefixes = new java.util.ArrayList<>();
        ps.forEach(p -> prefixes.add(gen.promptIds(f.verifyCot(p.question(), io.genrm4j.task.Tasks.GSM8K.solve(p)))));
        double meanPrefix = prefixes.stream().mapToInt(a -> a.length).average().orElseThrow();
        direct.score(ps.get(0).question(), List.of(io.genrm4j.task.Tasks.GSM8K.solve(ps.get(0)))); // warm-up
        long t0 = System.nanoTime();
        for (io.genrm4j.task.Problem p : ps) {
          direct.score(p.question(), List.of(io.genrm4j.task.Tasks.GSM8K.solve(p)));
        }
        double directS = (System.nanoTime() - t0) / 1e9;
        long rssDirect = peakRssBytes();
        gen.sampleShared(List.of(prefixes.get(0)), votes, sp); // warm-up: the decoder's kernels get compiled
        t0 = System.nanoTime();
        for (int[] pre : prefixes) {
          gen.sampleShared(List.of(pre), votes, sp); // the prefix once, K rationales from its cache
        }
        double shared = (System.nanoTime() - t0) / 1e9;
        long rssShared = peakRssBytes();
        SamplingParams first = new SamplingParams(1, 0.7, 1, 0, List.of(), 1, false, 0);
        t0 = System.nanoTime();
        for (int[] pre : prefixes) {
          gen.sampleShared(List.of(pre), votes, first); // the prompt's prefill and the K first tokens only
        }
        double decode = shared - (System.nanoTime() - t0) / 1e9; // the K votes' decode steps
        int slow = Math.min(votes, reencodeVotes);
        t0 = System.nanoTime();
        for (int[] pre : slow == 0 ? List.<int[]>of() : prefixes) {
          gen.sampleShared(java.util.Collections.nCopies(slow, pre), 1, sp); // the prefix once per rationale
        }
        double reencode = (System.nanoTime() - t0) / 1e9;
        double peakAfter = matmulGflops(mgr);
        Setup s = new Setup(mgr, model, cfg, peak, JniUtils.getNumThreads());
        s.peakAfter = peakAfter;
        table(spec.commandLine().getOut(), String.format("bench score: preset %s, %d GSM8K candidates, prompt %.0f "
            + "tokens on average, K = %d rationales of %d tokens", o.preset, candidates, meanPrefix, votes,
            rationaleTokens), s, o, new String[][] {
              {"GenRM direct: candidates/s (prompt tokens/s)", String.format("%.2f (%.0f)", candidates / directS,
                  candidates * meanPrefix / directS)},
              {"GenRM-CoT, prefix shared: votes/s (sampled tokens/s, all K streams)", String.format("%.2f (%.0f)",
                  candidates * votes / shared, candidates * votes * (double) rationaleTokens / shared)},
              {"GenRM-CoT decode steps alone (the above less each prompt's prefill): tokens/s, all K streams",
                  rationaleTokens < 2 ? "not run" : String.format("%.0f",
                      candidates * votes * (rationaleTokens - 1.0) / decode)},
              {"GenRM-CoT, prefix re-encoded per vote (" + slow + " votes each): votes/s", slow == 0 ? "not run"
                  : String.format("%.2f", candidates * slow / reencode)},
              {"speed-up of prefix sharing", slow == 0 ? "not run"
                  : String.format("%.1fx", (reencode / slow) / (shared / votes))},
              {"process RSS peak after GenRM direct / after GenRM-CoT", String.format("%.0f MiB / %.0f MiB",
                  rssDirect / 1048576.0, rssShared / 1048576.0)},
            });
      }
      return 0;
    }
  }
}
