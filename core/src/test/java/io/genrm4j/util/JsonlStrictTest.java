package io.genrm4j.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSONL records with a duplicate key or trailing content are file:line errors, not silently half-read. */
class JsonlStrictTest {
  @Test
  void duplicateKeysAndTrailingContentAreLineErrors(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("in.jsonl");
    Files.write(f, List.of("{\"prompt\":\"a\"}", "{\"prompt\":\"a\",\"prompt\":\"b\"}"));
    UserException dup = assertThrows(UserException.class, () -> Jsonl.readObjects(f));
    assertTrue(dup.getMessage().startsWith(f + ":2: malformed JSON: Duplicate field 'prompt'"), dup.getMessage());
    Files.write(f, List.of("{\"prompt\":\"a\"} {\"prompt\":\"b\"}"));
    UserException two = assertThrows(UserException.class, () -> Jsonl.readObjects(f));
    assertTrue(two.getMessage().startsWith(f + ":1: malformed JSON: Trailing token"), two.getMessage());
    Files.write(f, List.of("{\"prompt\":\"a\"}  ", "", "{\"prompt\":\"b\"}"));
    assertEquals(2, Jsonl.readObjects(f).size(), "trailing whitespace and blank lines are fine");
  }
}
