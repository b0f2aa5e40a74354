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
