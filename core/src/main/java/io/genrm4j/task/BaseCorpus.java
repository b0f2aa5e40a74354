package io.genrm4j.task;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The text a pretrained base learns from (issue #21 step 2, standing in for the paper's pretrained Gemma): list tasks
 * over the target task's pool at every length (names, 1 to 10 items; words, 1 to 8), in three formats: solutions,
 * direct Yes/No verification of candidates, and re-solve-and-compare rationales. The target tasks may appear as
 * solutions only; verification text is drawn from the related tasks ({@link RelatedListTask},
 * {@link RelatedWordTask}), never from a target task, so whatever
 * a verifier fine-tuned from the base knows about verifying the target out of distribution it learned by transfer.
 *
 * <p>Problems come from the training half of the problem space ({@link AlgorithmicTask#inTestIdHalf} false), so no
 * in-distribution test list of any task is in the corpus; the same spec gives the same corpus on every JVM.
 */
public final class BaseCorpus {
  private BaseCorpus() {}

  /** A corpus item's format. */
  public enum Kind {
    /** {@code solve(question)} then a correct solution. */
    SOLUTION,
    /** {@code verifyDirect(question, candidate)} then Yes/No. */
    DIRECT,
    /** {@code verifyCot(question, candidate)} then the oracle's rationale and verdict. */
    COT
  }

  /**
   * What the corpus holds.
   *
   * @param solutionTasks tasks written as solutions (related tasks, or a target task's name from {@link Tasks})
   * @param verificationTasks related tasks also written as verification (never a target task)
   * @param verificationKinds the verification formats written ({@link Kind#DIRECT}, {@link Kind#COT})
   * @param minItems shortest list
   * @param maxItems longest list
   * @param perTaskAndKind items per task and format
   * @param seed draws problems, mistakes and the order
   */
  public record Spec(List<String> solutionTasks, List<String> verificationTasks, List<Kind> verificationKinds,
      int minItems, int maxItems, int perTaskAndKind, long seed) {
    public Spec {
      if (verificationKinds.contains(Kind.SOLUTION)) {
        throw new IllegalArgumentException("a verification format is DIRECT or COT");
      }
      for (String t : verificationTasks) {
        if (!isRelated(t)) {
          throw new IllegalArgumentException("verification text may only come from related tasks, not '" + t + "'");
        }
      }
      if (minItems < 1 || maxItems < minItems || perTaskAndKind < 1) {
        throw new IllegalArgumentException("bad corpus sizes " + minItems + ".." + maxItems + " x " + perTaskAndKind);
      }
    }

    /** The target task the corpus is for: its one solution task that is not a related task. */
    public String target() {
      return solutionTasks.stream().filter(t -> !isRelated(t)).findFirst()
          .orElseThrow(() -> new IllegalStateException("a corpus without a target task: " + solutionTasks));
    }
  }

  /** Whether {@code name} is a related task (which alone may be written as verification). */
  static boolean isRelated(String name) {
    return RelatedListTask.NAMES.contains(name) || RelatedWordTask.NAMES.contains(name);
  }

  /** The related tasks of a target task, the closest to it last. */
  public static List<String> relatedTo(String target) {
    return switch (target) {
      case LastLetterTask.NAME -> RelatedListTask.NAMES;
      case WordSortingTask.NAME -> RelatedWordTask.NAMES;
      default -> throw new IllegalArgumentException("no related tasks for " + target);
    };
  }

  /** A related task by name. */
  public static AlgorithmicTask related(String name) {
    return RelatedListTask.NAMES.contains(name) ? RelatedListTask.named(name) : RelatedWordTask.named(name);
  }

  /**
   * One item; {@code candidate} is the solution (SOLUTION) or the candidate verified, {@code rationaleBody} is set
   * for COT.
   */
  public record Item(Kind kind, String task, Problem problem, String candidate, boolean correct,
      String rationaleBody) {}

  /** The task of a corpus name: a related task or a target task. */
  public static AlgorithmicTask task(String name) {
    if (isRelated(name)) {
      return related(name);
    }
    if (Tasks.byName(name) instanceof AlgorithmicTask a) {
      return a;
    }
    throw new IllegalArgumentException("not a list task: " + name);
  }

  /** The corpus, in a seeded random order. */
  public static List<Item> items(Spec spec) {
    Random rng = new Random(spec.seed());
    List<Item> out = new ArrayList<>();
    for (String name : spec.solutionTasks()) {
      AlgorithmicTask t = task(name);
      for (int i = 0; i < spec.perTaskAndKind(); i++) {
        Problem p = t.randomProblem(length(spec, rng), rng);
        out.add(new Item(Kind.SOLUTION, name, p, p.referenceSolution(), true, null));
      }
    }
    AlgorithmicTask.Mistake[] mistakes = AlgorithmicTask.Mistake.values();
    for (String name : spec.verificationTasks()) {
      AlgorithmicTask t = task(name);
      for (Kind kind : spec.verificationKinds()) {
        for (int i = 0; i < spec.perTaskAndKind(); i++) {
          Problem p = t.randomProblem(length(spec, rng), rng);
          List<String> words = t.words(p.question());
          // Half correct, half one mistake of a uniformly drawn type; the label is the grader's.
          String c = rng.nextBoolean() ? p.referenceSolution()
              : t.withMistake(words, mistakes[rng.nextInt(mistakes.length)], rng);
          boolean ok = t.grade(p, c).correct();
          out.add(new Item(kind, name, p, c, ok, kind == Kind.COT ? t.rationaleBody(p, c, ok) : null));
        }
      }
    }
    java.util.Collections.shuffle(out, rng);
    return out;
  }

  /** The questions of every item (for checking that no test problem is in the corpus). */
  public static Set<String> questions(List<Item> items) {
    Set<String> out = new HashSet<>();
    items.forEach(i -> out.add(i.problem().question()));
    return out;
  }

  private static int length(Spec spec, Random rng) {
    return spec.minItems() + rng.nextInt(spec.maxItems() - spec.minItems() + 1);
  }
}
