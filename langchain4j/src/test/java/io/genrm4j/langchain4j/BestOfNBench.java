package io.genrm4j.langchain4j;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.testing.TinyModels;
import io.genrm4j.verify.GenRmCot;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierScore;
import java.util.Arrays;
import java.util.List;

/**
 * What the Best-of-N decorator costs beside generation, against the verifier's own scoring time on the same
 * candidates. Per round: the decorator end to end (D), of which the time inside the wrapped model (G) and inside the
 * verifier (V), both measured within the same call (so generation's noise cancels); then the verifier scoring the
 * same candidates again, alone (S). The decorator's cost beside generation is D - G, its own work D - G - V. Medians
 * over the rounds, after warm-up rounds. Not a test: run it with
 *
 * <pre>
 * ./mvnw -q -o -B -pl langchain4j -am test-compile dependency:build-classpath \
 *   -Dmdep.outputFile=/tmp/lc4j-cp.txt -Dmdep.includeScope=test
 * java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
 *   -cp "langchain4j/target/test-classes:langchain4j/target/classes:$(cat /tmp/lc4j-cp.txt)" \
 *   io.genrm4j.langchain4j.BestOfNBench [N [ROUNDS [K]]]
 * </pre>
 */
public final class BestOfNBench {
  private BestOfNBench() {}

  public static void main(String[] a) {
    int n = a.length > 0 ? Integer.parseInt(a[0]) : 8;
    int rounds = a.length > 1 ? Integer.parseInt(a[1]) : 30;
    int k = a.length > 2 ? Integer.parseInt(a[2]) : 4;
    try (TinyModels models = new TinyModels()) {
      System.out.printf("Best-of-N decorator, N = %d, %d rounds, medians in ms: G generation, D - G the decorator "
          + "beside it, V its verifier call, S the verifier alone on the same candidates%n", n, rounds);
      run("genrm (direct)", models, models.verifier(), n, rounds);
      // the CoT verifier's rationale sampling is seeded, so scoring the same candidates again repeats its work
      run("genrm-cot (K = " + k + ")", models,
          new GenRmCot(models.verifierModel, TinyModels.TOK, TinyModels.F, k, SamplingParams.sample(16, 1.0, 0)),
          n, rounds);
    }
  }

  /** The wrapped model, timed: the nanoseconds spent in its calls. */
  static final class TimedChatModel implements ChatModel {
    final ChatModel inner;
    long nanos;

    TimedChatModel(ChatModel inner) {
      this.inner = inner;
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
      long t0 = System.nanoTime();
      try {
        return inner.chat(request);
      } finally {
        nanos += System.nanoTime() - t0;
      }
    }
  }

  /** The verifier, timed: the nanoseconds spent in its calls. */
  static final class TimedVerifier implements Verifier {
    final Verifier inner;
    long nanos;

    TimedVerifier(Verifier inner) {
      this.inner = inner;
    }

    @Override
    public VerifierKind kind() {
      return inner.kind();
    }

    @Override
    public List<VerifierScore> score(String question, List<String> solutions) {
      long t0 = System.nanoTime();
      try {
        return inner.score(question, solutions);
      } finally {
        nanos += System.nanoTime() - t0;
      }
    }
  }

  static void run(String name, TinyModels models, Verifier v, int n, int rounds) {
    ChatRequest ask = ChatRequest.builder().messages(UserMessage.from(TinyModels.QUESTION)).build();
    int warmup = 5;
    double[] generate = new double[rounds];
    double[] beside = new double[rounds];
    double[] inside = new double[rounds];
    double[] alone = new double[rounds];
    double[] own = new double[rounds];
    for (int r = -warmup; r < rounds; r++) {
      TimedChatModel timedModel = new TimedChatModel(new GeneratorChatModel(models.generator(), 1000L * (r + warmup)));
      TimedVerifier timedVerifier = new TimedVerifier(v);
      long t0 = System.nanoTime();
      ChatResponse best = BestOfNChatModel.wrap(timedModel, timedVerifier, n).chat(ask);
      long t1 = System.nanoTime();
      v.score(TinyModels.QUESTION, ((BestOfNMetadata) best.metadata()).candidates());
      long t2 = System.nanoTime();
      if (r >= 0) {
        generate[r] = timedModel.nanos / 1e6;
        beside[r] = (t1 - t0 - timedModel.nanos) / 1e6;
        inside[r] = timedVerifier.nanos / 1e6;
        alone[r] = (t2 - t1) / 1e6;
        own[r] = beside[r] - inside[r];
      }
    }
    System.out.printf("  %-18s G %7.2f  D - G %7.2f  V %7.2f  S %7.2f  own work D - G - V %6.3f (%.2f%% of S)%n",
        name, median(generate), median(beside), median(inside), median(alone), median(own),
        100 * median(own) / median(alone));
  }

  static double median(double[] x) {
    double[] c = x.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
