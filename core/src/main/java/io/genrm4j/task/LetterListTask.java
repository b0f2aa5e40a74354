package io.genrm4j.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A list task that picks one letter per item and writes the letters so far: last-letter concatenation and its related
 * tasks ({@link RelatedListTask}). Subclasses say which letter ({@link #letterOf}) and, through
 * {@link #extend}, which end of the running string it joins.
 */
public abstract class LetterListTask extends AlgorithmicTask {
  protected LetterListTask(String name, String prefix, int minLength, int maxLength, int oodLength) {
    super(name, prefix, minLength, maxLength, oodLength);
  }

  /** The letter picked for {@code word}. */
  protected abstract String letterOf(String word);

  @Override
  protected List<Step> steps(List<String> words, int at, String forced) {
    List<Step> out = new ArrayList<>();
    String sofar = "";
    for (int i = 0; i < words.size(); i++) {
      String pick = i == at ? forced : letterOf(words.get(i));
      sofar = extend(sofar, pick);
      out.add(new Step(words.get(i), pick, sofar));
    }
    return out;
  }

  @Override
  protected List<String> wordsOf(List<Step> steps) {
    return steps.stream().map(Step::left).toList();
  }

  /** Another pool word's letter: wrong letters as frequent as real ones (a uniform letter is a give-away). */
  @Override
  protected String realisticPick(Step truth, Random rng) {
    return poolLetterOtherThan(truth.pick(), rng);
  }

  /** The answer with one letter replaced by another pool word's letter. */
  @Override
  protected String realisticWrongAnswer(String answer, Random rng) {
    if (answer.isEmpty()) {
      return wrongAnswer(answer, rng);
    }
    int j = rng.nextInt(answer.length());
    return answer.substring(0, j) + poolLetterOtherThan(answer.substring(j, j + 1), rng) + answer.substring(j + 1);
  }

  private String poolLetterOtherThan(String letter, Random rng) {
    List<String> pool = pool();
    for (int i = 0; i < 100; i++) {
      String pick = letterOf(pool.get(rng.nextInt(pool.size())));
      if (!pick.equals(letter)) {
        return pick;
      }
    }
    return String.valueOf(otherLetter(letter.charAt(0), rng));
  }

  @Override
  protected String otherPick(Step truth, Random rng) {
    return String.valueOf(otherLetter(truth.pick().charAt(0), rng));
  }

  @Override
  protected String wrongAnswer(String answer, Random rng) {
    if (answer.isEmpty()) {
      return String.valueOf(otherLetter('\0', rng));
    }
    int j = rng.nextInt(answer.length());
    return answer.substring(0, j) + otherLetter(answer.charAt(j), rng) + answer.substring(j + 1);
  }
}
