package io.genrm4j.task;

import java.util.Comparator;

/**
 * Word sorting: {@code Sort: pear apple fig} -> {@code apple fig pear}. Words come from the wamerican lowercase list
 * (those of 3-7 letters, {@link WordListTask#pool});
 * train and test-id lists have 2-4 words, test-ood 5. Sorting is lexicographic ({@link String#compareTo}, the same
 * as byte order on a-z, so a prefix sorts first); repeated words are kept.
 *
 * <p>Solution format: selection sort, one step per pick, {@code words still left (in their original order) -> the
 * alphabetically first of them}: {@code pear apple fig -> apple\npear fig -> fig\npear -> pear\nThe answer is apple
 * fig pear.} The words picked so far are not written on each line (last-letter writes its letters so far): they
 * made word-sorting solutions quadratic twice over (the words left and the words picked) and verifier training
 * several times slower than last-letter's; the answer line collects the picks instead.
 */
public final class WordSortingTask extends WordListTask {
  public static final String NAME = "word-sorting";
  public static final String PREFIX = "Sort: ";

  public WordSortingTask() {
    super(NAME, PREFIX, 2, 4, 5);
  }

  @Override
  protected Comparator<String> order() {
    return Comparator.naturalOrder();
  }
}
