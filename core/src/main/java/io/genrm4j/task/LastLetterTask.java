package io.genrm4j.task;

import java.util.List;

/**
 * Last-letter concatenation: {@code Last letters: Noah Paul Elisha Rebecca} -> {@code hlaa}. Words come from the
 * union of the census top-1000 first and last names; train and test-id lists have 2-4 names, test-ood 6.
 *
 * <p>Solution format, one step per name, {@code name -> its last letter -> the letters so far}: {@code Noah -> h ->
 * h\nPaul -> l -> hl\nElisha -> a -> hla\nRebecca -> a -> hlaa\nThe answer is hlaa.}
 */
public final class LastLetterTask extends LetterListTask {
  public static final String NAME = "last-letter";
  public static final String PREFIX = "Last letters: ";

  public LastLetterTask() {
    super(NAME, PREFIX, 2, 4, 6);
  }

  @Override
  protected List<String> pool() {
    return DataFiles.names();
  }

  @Override
  protected String letterOf(String w) {
    return w.substring(w.length() - 1);
  }
}
