package io.genrm4j.task;

import io.genrm4j.util.UserException;
import java.util.List;

/** The tasks by name. */
public final class Tasks {
  private Tasks() {}

  public static final LastLetterTask LAST_LETTER = new LastLetterTask();
  public static final WordSortingTask WORD_SORTING = new WordSortingTask();
  public static final Gsm8kTask GSM8K = new Gsm8kTask();

  public static List<Task> all() {
    return List.of(LAST_LETTER, WORD_SORTING, GSM8K);
  }

  /** {@code last-letter}, {@code word-sorting} or {@code gsm8k}. */
  public static Task byName(String name) {
    for (Task t : all()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw new UserException("unknown task '" + name + "' (expected last-letter, word-sorting or gsm8k)");
  }
}
