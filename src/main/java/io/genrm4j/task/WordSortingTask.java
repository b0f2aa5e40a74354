package io.genrm4j.task;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Word sorting: {@code Sort: pear apple fig} -> {@code apple fig pear}. Words come from the wamerican lowercase list;
 * train and test-id lists have 2-4 words, test-ood 5. Sorting is lexicographic ({@link String#compareTo}, the same
 * as byte order on a-z, so a prefix sorts first); repeated words are kept.
 *
 * <p>Solution format: selection sort, one step per pick, each line the words still left (in their original order)
 * then the alphabetically first of them: {@code pear apple fig -> apple\npear fig -> fig\npear -> pear\nThe answer
 * is apple fig pear.} A wrong pick or a wrong list of leftovers is localised to its step.
 */
public final class WordSortingTask extends AlgorithmicTask {
  public static final String NAME = "word-sorting";
  public static final String PREFIX = "Sort: ";

  public WordSortingTask() {
    super(NAME, PREFIX, 2, 4, 5);
  }

  @Override
  protected List<String> pool() {
    return DataFiles.words();
  }

  private static List<String> sorted(List<String> words) {
    List<String> s = new ArrayList<>(words);
    s.sort(null);
    return s;
  }

  @Override
  public String answer(List<String> words) {
    return String.join(" ", sorted(words));
  }

  @Override
  public String solve(List<String> words) {
    List<String> left = new ArrayList<>(words);
    List<String> steps = new ArrayList<>();
    for (String pick : sorted(words)) {
      steps.add(String.join(" ", left) + " -> " + pick);
      left.remove(pick);
    }
    return render(steps, answer(words));
  }

  @Override
  public String rationale(Problem p, String candidate) {
    List<String> words = words(p.question());
    List<String> truth = sorted(words);
    List<String> steps = steps(candidate);
    int n = Math.max(words.size(), steps.size());
    List<String> left = new ArrayList<>(words);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      int k = i + 1;
      String leftText = String.join(" ", left);
      if (i >= words.size()) {
        b.append("Step ").append(k).append(" is extra: all ").append(words.size());
        b.append(" words are already picked.\n");
        continue;
      }
      String pick = truth.get(i);
      if (i >= steps.size()) {
        b.append("Step ").append(k).append(" is missing: ").append(leftText).append(" -> ").append(pick);
        b.append(".\n");
      } else {
        String[] s = arrow(steps.get(i));
        if (s == null) {
          b.append("Step ").append(k).append(" is not of the form words -> word: it should be ");
          b.append(leftText).append(" -> ").append(pick).append(".\n");
        } else if (!sorted(List.of(s[0].split("\\s+"))).equals(sorted(left))) {
          b.append("Step ").append(k).append(": the words left are wrong: they should be ").append(leftText);
          b.append(".\n");
        } else if (!s[1].equals(pick)) {
          b.append("Step ").append(k).append(": ").append(s[1]).append(" is wrong: the first of ").append(leftText);
          b.append(" is ").append(pick).append(".\n");
        } else {
          b.append("Step ").append(k).append(": ").append(pick).append(" is correct.\n");
        }
      }
      left.remove(pick);
    }
    return finish(b, n + 1, p, candidate);
  }

  @Override
  public String perturb(String solution, Random rng) {
    List<String> steps = steps(solution);
    String old = extractAnswer(solution);
    String[] first = steps.isEmpty() ? null : arrow(steps.get(0));
    if (first != null && rng.nextBoolean()) {
      // a wrong pick at some step with two or more distinct words left, carried through to the answer
      List<String> words = List.of(first[0].split("\\s+"));
      List<String> left = new ArrayList<>(words);
      List<Integer> choices = new ArrayList<>();
      List<String> tmp = new ArrayList<>(words);
      for (int i = 0; i < words.size(); i++) {
        if (new HashSet<>(tmp).size() > 1) {
          choices.add(i);
        }
        tmp.remove(sorted(tmp).get(0));
      }
      if (!choices.isEmpty()) {
        int at = choices.get(rng.nextInt(choices.size()));
        List<String> out = new ArrayList<>();
        List<String> picks = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
          String pick = sorted(left).get(0);
          if (i == at) {
            List<String> others = new ArrayList<>();
            for (String w : left) {
              if (!w.equals(pick)) {
                others.add(w);
              }
            }
            pick = others.get(rng.nextInt(others.size()));
          }
          out.add(String.join(" ", left) + " -> " + pick);
          picks.add(pick);
          left.remove(pick);
        }
        String answer = String.join(" ", picks);
        if (!answer.equals(old)) {
          return render(out, answer);
        }
      }
    }
    // a wrong final answer: two different words swapped, or a word dropped
    List<String> a = old == null || old.isEmpty() ? new ArrayList<>() : new ArrayList<>(List.of(old.split(" ")));
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
    return render(steps, String.join(" ", a));
  }
}
