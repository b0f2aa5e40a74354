package io.genrm4j.task;

import java.util.Comparator;
import java.util.List;

/**
 * A list task related to word sorting, for the pretraining corpus ({@link BaseCorpus}): the same selection-sort
 * scratchpad ({@code words left -> pick}) over the same word pool, in another order: by length, by ending (the words
 * compared from their last letter backwards), or descending (the closest: word sorting's comparisons, reversed).
 * Lists have 1-8 words: word sorting is tested out of distribution at 5, and a 10-word rationale would be ~1,000
 * tokens, several times a 10-name one.
 */
public final class RelatedWordTask extends WordListTask {
  /** The shortest and longest list in the corpus. */
  public static final int MIN_ITEMS = 1;
  public static final int MAX_ITEMS = 8;

  /** Every related word task, the closest to word sorting last. */
  public static final List<String> NAMES = List.of("sort-by-length", "sort-by-ending", "sort-descending");

  private final Comparator<String> order;

  private RelatedWordTask(String name, String prefix, Comparator<String> order) {
    super(name, prefix, MIN_ITEMS, MAX_ITEMS, MAX_ITEMS);
    this.order = order;
  }

  private static String reversed(String w) {
    return new StringBuilder(w).reverse().toString();
  }

  /** The related word tasks by name. */
  public static RelatedWordTask named(String name) {
    return switch (name) {
      case "sort-by-length" -> new RelatedWordTask(name, "Sort by length: ",
          Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()));
      case "sort-by-ending" -> new RelatedWordTask(name, "Sort by ending: ",
          Comparator.comparing(RelatedWordTask::reversed));
      case "sort-descending" -> new RelatedWordTask(name, "Sort descending: ", Comparator.reverseOrder());
      default -> throw new IllegalArgumentException("unknown related word task '" + name + "' (known: "
          + String.join(", ", NAMES) + ")");
    };
  }

  @Override
  protected Comparator<String> order() {
    return order;
  }
}
