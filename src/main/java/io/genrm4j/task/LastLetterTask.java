package io.genrm4j.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Last-letter concatenation: {@code Last letters: Noah Paul Elisha Rebecca} -> {@code hlaa}. Words come from the
 * union of the census top-1000 first and last names; train and test-id lists have 2-4 names, test-ood 6.
 *
 * <p>Solution format, one step per name, {@code name -> its last letter -> the letters so far}: {@code Noah -> h ->
 * h\nPaul -> l -> hl\nElisha -> a -> hla\nRebecca -> a -> hlaa\nThe answer is hlaa.}
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
  protected List<Step> steps(List<String> words, int at, String forced) {
    List<Step> out = new ArrayList<>();
    String sofar = "";
    for (int i = 0; i < words.size(); i++) {
      String pick = i == at ? forced : last(words.get(i));
      sofar += pick;
      out.add(new Step(words.get(i), pick, sofar));
    }
    return out;
  }

  @Override
  protected List<String> wordsOf(List<Step> steps) {
    return steps.stream().map(Step::left).toList();
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
