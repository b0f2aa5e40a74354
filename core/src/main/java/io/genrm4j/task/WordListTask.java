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
    return sortFrom(new ArrayList<>(), new ArrayList<>(words), at, forced);
  }

  /**
   * {@code done} followed by the steps that sort {@code left}; the step numbered {@code at} (counting {@code done})
   * picks {@code forced}. A forced pick that is not in the list (a mis-copied word) takes the place of the word it
   * should have been, which goes: the generator's mis-copies continue so.
   */
  private List<Step> sortFrom(List<Step> done, List<String> left, int at, String forced) {
    String sofar = done.isEmpty() ? "" : done.get(done.size() - 1).sofar();
    while (!left.isEmpty()) {
      String first = Collections.min(left, order());
      String pick = done.size() == at ? forced : first;
      sofar = sofar.isEmpty() ? pick : sofar + " " + pick;
      done.add(new Step(String.join(" ", left), pick, sofar));
      if (!left.remove(pick)) {
        left.remove(first);
      }
    }
    return done;
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
   * The generator's wrong picks: three in four a mis-copy of the right word ({@link #miscopied}), else another word
   * of the line (the ratio of its errors, {@link #realisticMiscopy}).
   */
  @Override
  protected String realisticPick(Step truth, Random rng) {
    List<String> line = List.of(truth.left().split(" "));
    return rng.nextInt(4) == 0 ? otherPick(truth, rng) : miscopied(truth.pick(), line, rng);
  }

  /**
   * {@code word} as the generator mis-copies it, never a word of {@code line}: blended with another word of the line
   * ({@code co}ppers + h{@code oof} -> {@code coof}), or one letter changed, dropped or added ({@code delived},
   * {@code refere}, {@code clovers}).
   */
  static String miscopied(String word, List<String> line, Random rng) {
    while (true) {
      String other = line.get(rng.nextInt(line.size()));
      int kind = rng.nextInt(4);
      int i = rng.nextInt(word.length());
      char c = otherLetter(word.charAt(i), rng);
      String w;
      if (kind == 0 && word.length() > 1 && other.length() > 1) {
        w = word.substring(0, 1 + rng.nextInt(word.length() - 1)) + other.substring(1 + rng.nextInt(other.length() - 1));
      } else if (kind == 1 || kind == 0) {
        w = word.substring(0, i) + c + word.substring(i + 1);
      } else if (kind == 2 && word.length() > 2) {
        w = word.substring(0, i) + word.substring(i + 1);
      } else {
        w = word.substring(0, i) + c + word.substring(i);
      }
      if (!line.contains(w)) {
        return w;
      }
    }
  }

  /**
   * The generator's mis-copies of the words left, the commonest of its errors. Where its wrong candidates first go
   * wrong (word sorting's {@code quick} run, seed 1; 1,792 wrong training candidates of 2-4 words / 2,380 of 5
   * words): a line listing the words left wrongly 738 / 1,494 (43 / 44 of them the first line), a pick that is no
   * word of its line 579 / 504, a pick of another word 195 / 273, the answer line 150 / 50, no answer 99 / 49. So:
   * at a random line after the first, one word left replaced by a pool word, or by its neighbour (a word twice), or
   * dropped for a pool word at the end; the later lines sort what that line lists.
   */
  @Override
  protected String realisticMiscopy(List<String> words, Random rng) {
    if (words.size() < 2) {
      return super.realisticMiscopy(words, rng);
    }
    List<Step> truth = steps(words, -1, null);
    int k = 1 + rng.nextInt(words.size() - 1);
    List<String> left = new ArrayList<>(List.of(truth.get(k).left().split(" ")));
    int j = rng.nextInt(left.size());
    List<String> pool = pool();
    String stranger = pool.get(rng.nextInt(pool.size()));
    switch (left.size() > 1 ? rng.nextInt(4) : 0) {
      case 0, 1 -> left.set(j, stranger);
      case 2 -> left.set(j, left.get(j == 0 ? 1 : j - 1));
      default -> {
        left.remove(j);
        left.add(stranger);
      }
    }
    return render(sortFrom(new ArrayList<>(truth.subList(0, k)), left, -1, null));
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
