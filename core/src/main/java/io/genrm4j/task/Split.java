package io.genrm4j.task;

import io.genrm4j.util.UserException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The splits of a task. For the algorithmic tasks {@link #TRAIN} and {@link #TEST_ID} draw lists of the same lengths
 * from disjoint halves of the problem space, and {@link #TEST_OOD} uses longer lists. GSM8K has {@code train} and
 * {@code test} (the GSM8K test set, reachable as {@code test-id} or {@code test}).
 */
public enum Split {
  TRAIN("train"),
  TEST_ID("test-id"),
  TEST_OOD("test-ood");

  private final String id;

  Split(String id) {
    this.id = id;
  }

  /** The name used in files and on the command line. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }

  /** Parses {@code train}, {@code test-id} (alias {@code test}) or {@code test-ood}. */
  public static Split parse(String s) {
    for (Split v : values()) {
      if (v.id.equals(s)) {
        return v;
      }
    }
    if ("test".equals(s)) {
      return TEST_ID;
    }
    throw new UserException(
        "unknown split '" + s + "' (expected one of "
            + Arrays.stream(values()).map(Split::id).collect(Collectors.joining(", ")) + ")");
  }
}
