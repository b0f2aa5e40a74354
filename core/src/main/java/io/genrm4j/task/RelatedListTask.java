package io.genrm4j.task;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A list task related to last-letter concatenation, for the pretraining corpus ({@link BaseCorpus}): the same
 * {@code left -> pick -> answer so far} scratchpad over the same name pool, with another letter picked per item
 * (first, second, second-to-last) or the running string built the other way round. Lists have 1-10 items.
 *
 * <p>Its candidates with one of the generator's real error types ({@link #withMistake}) let a base learn what a wrong
 * line looks like at every length without ever seeing the target task verified.
 */
public final class RelatedListTask extends LetterListTask {
  /** The shortest and longest list in the corpus. */
  public static final int MIN_ITEMS = 1;
  public static final int MAX_ITEMS = 10;

  private final Supplier<List<String>> pool;
  private final Function<String, String> pick;
  private final boolean prepend;

  private RelatedListTask(String name, String prefix, Supplier<List<String>> pool, Function<String, String> pick,
      boolean prepend) {
    super(name, prefix, MIN_ITEMS, MAX_ITEMS, MAX_ITEMS);
    this.pool = pool;
    this.pick = pick;
    this.prepend = prepend;
  }

  private static String letter(String w, int i) {
    return w.substring(i, i + 1).toLowerCase(Locale.ROOT);
  }

  /** Names with at least two letters (every pick below exists). */
  private static List<String> names() {
    return DataFiles.names().stream().filter(w -> w.length() >= 2).toList();
  }

  /** The related tasks by name, closest to last-letter last. */
  public static RelatedListTask named(String name) {
    return switch (name) {
      case "first-letters" -> new RelatedListTask(name, "First letters: ", RelatedListTask::names, w -> letter(w, 0),
          false);
      case "second-letters" -> new RelatedListTask(name, "Second letters: ", RelatedListTask::names,
          w -> letter(w, 1), false);
      case "last-letters-reversed" -> new RelatedListTask(name, "Last letters reversed: ", RelatedListTask::names,
          w -> letter(w, w.length() - 1), true);
      case "second-to-last-letters" -> new RelatedListTask(name, "Second-to-last letters: ",
          RelatedListTask::names, w -> letter(w, w.length() - 2), false);
      default -> throw new IllegalArgumentException("unknown related task '" + name + "' (known: "
          + String.join(", ", NAMES) + ")");
    };
  }

  /** Every related task, the closest to last-letter (same pick distance from the end, same order) last. */
  public static final List<String> NAMES =
      List.of("first-letters", "second-letters", "last-letters-reversed", "second-to-last-letters");

  @Override
  protected List<String> pool() {
    return pool.get();
  }

  @Override
  protected String letterOf(String word) {
    return pick.apply(word);
  }

  @Override
  protected String extend(String sofar, String pick) {
    return prepend ? pick + sofar : sofar + pick;
  }
}
