package io.genrm4j.task;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A list task that sorts words by selection, one pick per line ({@code words still left -> the first of them in
 * the task's order}), and writes no running answer on the lines: word sorting and its related tasks
 * ({@link RelatedWordTask}). Subclasses say the order ({@link #order}, a total order so every pick is determined).
 */
public abstract class WordListTask extends AlgorithmicTask {
  protected WordListTask(String name, String prefix, int minLength, int maxLength, int oodLength) {
    super(name, prefix, minLength, maxLength, oodLength);
  }

  /** The shortest and longest word drawn. */
  public static final int MIN_WORD = 3;
  public static final int MAX_WORD = 7;

  private static volatile List<String> pool;

  /**
   * The wamerican words of 3-7 letters (25,077 of 63,875): ordinary short words, and solutions ~30% shorter than
   * with the whole list (longest word 22 letters), which a character-level model pays for in attention memory.
   */
  @Override
  protected List<String> pool() {
    List<String> p = pool;
    if (p == null) {
      p = DataFiles.words().stream().filter(w -> w.length() >= MIN_WORD && w.length() <= MAX_WORD).toList();
      pool = p;
    }
    return p;
  }

  /** The order the words are sorted in. */
  protected abstract Comparator<String> order();

  @Override
  protected boolean writesSoFar() {
    return false;
  }

  @Override
  protected List<Step> steps(List<String> words, int at, String forced) {
    List<String> left = new ArrayList<>(words);
    List<Step> out = new ArrayList<>();
    String sofar = "";
    for (int i = 0; i < words.size(); i++) {
      String pick = i == at ? forced : Collections.min(left, order());
      sofar = sofar.isEmpty() ? pick : sofar + " " + pick;
      out.add(new Step(String.join(" ", left), pick, sofar));
      left.remove(pick);
    }
    return out;
  }

  @Override
  protected List<String> wordsOf(List<Step> steps) {
    return List.of(steps.get(0).left().split("\\s+"));
  }

  @Override
  protected String otherPick(Step truth, Random rng) {
    List<String> others = new ArrayList<>();
    for (String w : truth.left().split(" ")) {
      if (!w.equals(truth.pick())) {
        others.add(w);
      }
    }
    return others.isEmpty() ? null : others.get(rng.nextInt(others.size()));
  }

  /**
   * One mistake as every list task draws them ({@link AlgorithmicTask#perturb}) or, a quarter of the time, the slip
   * in the list of words left that the generator makes most ({@link #withLeftSlip}). Issue #21: it comes first in
   * 60% / 47% of the generator's wrong five-word candidates (the `full` runs of 2026-12-07) and 45% of its wrong 2-4-word
   * ones, and in none of the synthetic pairs before.
   */
  @Override
  public String perturb(String solution, Random rng) {
    if (rng.nextInt(4) == 0) {
      List<String> words = wordsOfCorrectSolution(solution);
      String bad = words == null ? null : withLeftSlip(words, rng);
      if (bad != null) {
        return bad;
      }
    }
    return super.perturb(solution, rng);
  }

  /**
   * A solution of {@code words} whose picks are all right but whose list shrinks wrongly once: after a random line
   * but the last, another word leaves instead of the pick, so the pick comes again and that word never does (as in
   * {@code token sell obliged -> obliged}, then {@code sell obliged -> obliged}); null when no other word differs
   * from the pick.
   */
  public String withLeftSlip(List<String> words, Random rng) {
    if (words.size() < 2) {
      return null;
    }
    int at = rng.nextInt(words.size() - 1);
    List<String> left = new ArrayList<>(words);
    List<Step> out = new ArrayList<>();
    String sofar = "";
    for (int i = 0; i < words.size(); i++) {
      String pick = Collections.min(left, order());
      sofar = sofar.isEmpty() ? pick : sofar + " " + pick;
      out.add(new Step(String.join(" ", left), pick, sofar));
      if (i == at) {
        List<String> others = left.stream().filter(w -> !w.equals(pick)).toList();
        if (others.isEmpty()) {
          return null;
        }
        left.remove(others.get(rng.nextInt(others.size())));
      } else {
        left.remove(pick);
      }
    }
    return render(out);
  }

  /** Two different words swapped, or a word dropped (or one added) when all words are the same. */
  @Override
  protected String wrongAnswer(String answer, Random rng) {
    List<String> a = answer.isEmpty() ? new ArrayList<>() : new ArrayList<>(List.of(answer.split(" ")));
    Set<String> distinct = new HashSet<>(a);
    if (distinct.size() > 1) {
      int i;
      int j;
      do {
        i = rng.nextInt(a.size());
        j = rng.nextInt(a.size());
      } while (a.get(i).equals(a.get(j)));
      String t = a.get(i);
      a.set(i, a.get(j));
      a.set(j, t);
    } else if (a.size() > 1) {
      a.remove(rng.nextInt(a.size()));
    } else {
      a.add(a.isEmpty() ? "a" : a.get(0));
    }
    return String.join(" ", a);
  }
}
