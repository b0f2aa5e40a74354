package io.genrm4j.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Last-letter concatenation: {@code Last letters: Noah Paul Elisha Rebecca} -> {@code hlaa}. Words come from the
 * union of the census top-1000 first and last names; train and test-id lists have 2-4 names, test-ood 6.
 *
 * <p>Solution format, one step per name: {@code Noah -> h\nPaul -> l\nElisha -> a\nRebecca -> a\nThe answer is
 * hlaa.}
 */
public final class LastLetterTask extends AlgorithmicTask {
  public static final String NAME = "last-letter";
  public static final String PREFIX = "Last letters: ";

  public LastLetterTask() {
    super(NAME, PREFIX, 2, 4, 6);
  }

  @Override
  protected List<String> pool() {
    return DataFiles.names();
  }

  private static String last(String w) {
    return w.substring(w.length() - 1);
  }

  @Override
  public String answer(List<String> words) {
    StringBuilder sb = new StringBuilder();
    words.forEach(w -> sb.append(last(w)));
    return sb.toString();
  }

  @Override
  public String solve(List<String> words) {
    List<String> steps = new ArrayList<>();
    for (String w : words) {
      steps.add(w + " -> " + last(w));
    }
    return render(steps, answer(words));
  }

  @Override
  public String rationale(Problem p, String candidate) {
    List<String> words = words(p.question());
    List<String> steps = steps(candidate);
    int n = Math.max(words.size(), steps.size());
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      int k = i + 1;
      if (i >= steps.size()) {
        String w = words.get(i);
        b.append("Step ").append(k).append(" is missing: ").append(w).append(" -> ").append(last(w)).append(".\n");
        continue;
      }
      if (i >= words.size()) {
        b.append("Step ").append(k).append(" is extra: there are only ").append(words.size()).append(" names.\n");
        continue;
      }
      String w = words.get(i);
      String[] s = arrow(steps.get(i));
      if (s == null) {
        b.append("Step ").append(k).append(" is not of the form name -> letter: it should be ");
        b.append(w).append(" -> ").append(last(w)).append(".\n");
      } else if (!s[0].equals(w)) {
        b.append("Step ").append(k).append(": ").append(s[0]).append(" is wrong: name ").append(k);
        b.append(" is ").append(w).append(".\n");
      } else if (!s[1].equals(last(w))) {
        b.append("Step ").append(k).append(": ").append(w).append(" -> ").append(s[1]);
        b.append(" is wrong: the last letter of ").append(w).append(" is ").append(last(w)).append(".\n");
      } else {
        b.append("Step ").append(k).append(": ").append(w).append(" -> ").append(s[1]).append(" is correct.\n");
      }
    }
    return finish(b, n + 1, p, candidate);
  }

  @Override
  public String perturb(String solution, Random rng) {
    List<String> steps = new ArrayList<>(steps(solution));
    String old = extractAnswer(solution);
    if (!steps.isEmpty() && rng.nextBoolean()) {
      int i = rng.nextInt(steps.size());
      String[] s = arrow(steps.get(i));
      if (s != null) {
        steps.set(i, s[0] + " -> " + otherLetter(s[1].charAt(0), rng));
        StringBuilder answer = new StringBuilder();
        boolean ok = true;
        for (String step : steps) {
          String[] t = arrow(step);
          if (t == null) {
            ok = false;
            break;
          }
          answer.append(t[1]);
        }
        if (ok && !answer.toString().equals(old)) {
          return render(steps, answer.toString());
        }
        steps = new ArrayList<>(steps(solution));
      }
    }
    // a wrong final answer: one letter changed
    String a = old == null || old.isEmpty() ? "" : old;
    String wrong;
    if (a.isEmpty()) {
      wrong = String.valueOf(otherLetter('\0', rng));
    } else {
      int j = rng.nextInt(a.length());
      wrong = a.substring(0, j) + otherLetter(a.charAt(j), rng) + a.substring(j + 1);
    }
    return render(steps, wrong);
  }
}
