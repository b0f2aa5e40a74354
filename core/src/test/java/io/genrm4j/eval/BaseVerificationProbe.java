package io.genrm4j.eval;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.task.AlgorithmicTask;
import io.genrm4j.task.BaseCorpus;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.RelatedListTask;
import io.genrm4j.task.Tasks;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.GenRmDirect;
import io.genrm4j.verify.VerifierScore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Not a test: the diagnostic behind the 2026-12-04 weighted-base page. {@code probe DIR PER} prints a checkpoint's
 * GenRM-direct AUROC and mean p(Yes) of right and wrong candidates at 1-10 items, for second-to-last letters (a
 * task the base verifies in its corpus) and last-letter (never verified there: any AUROC above 0.5 is transfer);
 * half the candidates are the reference, half carry one of the generator's error types. {@code corpus N FILE [S]}
 * writes N direct-verification items per related task (1-10 items, a seed of its own) as genrm train JSONL, and
 * with S also S solutions per task (the related tasks and last-letter) to replay solving.
 *
 * <pre>
 * ./mvnw -q -o -pl core -am test-compile
 * java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
 *   -cp "core/target/classes:core/target/test-classes:core/target/lib/*" io.genrm4j.eval.BaseVerificationProbe probe DIR 80
 * </pre>
 */
public final class BaseVerificationProbe {
  private BaseVerificationProbe() {}

  public static void main(String[] a) throws Exception {
    if (a[0].equals("corpus")) {
      var spec = new BaseCorpus.Spec(List.of(), RelatedListTask.NAMES, List.of(BaseCorpus.Kind.DIRECT), 1, 10,
          Integer.parseInt(a[1]), 99L);
      List<BaseCorpus.Item> items = new ArrayList<>(BaseCorpus.items(spec));
      if (a.length > 3) {
        List<String> solved = new ArrayList<>(RelatedListTask.NAMES);
        solved.add("last-letter");
        items.addAll(BaseCorpus.items(new BaseCorpus.Spec(solved, List.of(), List.of(BaseCorpus.Kind.DIRECT), 1, 10,
            Integer.parseInt(a[3]), 98L)).stream().filter(i -> i.kind() == BaseCorpus.Kind.SOLUTION).toList());
      }
      StringBuilder out = new StringBuilder();
      for (BaseCorpus.Item i : items) {
        boolean direct = i.kind() == BaseCorpus.Kind.DIRECT;
        out.append(Jsonl.toJson(Jsonl.MAPPER.createObjectNode()
            .put("prompt", direct ? Prompts.Format.COMPACT.verifyDirect(i.problem().question(), i.candidate())
                : Prompts.Format.COMPACT.solve(i.problem().question()))
            .put("completion", direct ? Prompts.label(i.correct()) : i.candidate()))).append('\n');
      }
      AtomicFiles.writeString(Path.of(a[2]), out.toString());
      return;
    }
    int per = Integer.parseInt(a[2]);
    try (NDManager root = NDManager.newBaseManager(); Checkpoint.Loaded l = Checkpoint.load(Path.of(a[1]), root)) {
      GenRmDirect v = new GenRmDirect(l.model(), l.tokenizer(), Prompts.Format.COMPACT);
      for (AlgorithmicTask t : List.of(RelatedListTask.named("second-to-last-letters"), Tasks.LAST_LETTER)) {
        StringBuilder line = new StringBuilder(t.name() + ":");
        for (int n : new int[] {1, 2, 3, 4, 6, 8, 10}) {
          Random rng = new Random(7 + n);
          List<String> qs = new ArrayList<>();
          List<List<String>> cs = new ArrayList<>();
          boolean[] y = new boolean[per];
          AlgorithmicTask.Mistake[] ms = AlgorithmicTask.Mistake.values();
          for (int i = 0; i < per; i++) {
            Problem p = t.randomProblem(n, rng);
            AlgorithmicTask.Mistake m = ms[rng.nextInt(ms.length)]; // drawn for every candidate
            String c = i % 2 == 0 ? p.referenceSolution() : t.withMistake(t.words(p.question()), m, rng);
            qs.add(p.question());
            cs.add(List.of(c));
            y[i] = t.grade(p, c).correct();
          }
          List<List<VerifierScore>> s = v.scoreAll(qs, cs);
          double[] sc = new double[per];
          double[] sum = new double[2];
          int[] count = new int[2];
          for (int i = 0; i < per; i++) {
            sc[i] = s.get(i).get(0).pYes();
            sum[y[i] ? 1 : 0] += sc[i];
            count[y[i] ? 1 : 0]++;
          }
          line.append(String.format(" n=%d AUROC %.2f (pYes right %.2f wrong %.2f)", n,
              VerifierMetrics.auroc(sc, y), sum[1] / Math.max(1, count[1]), sum[0] / Math.max(1, count[0])));
        }
        System.out.println(line);
      }
    }
  }
}
