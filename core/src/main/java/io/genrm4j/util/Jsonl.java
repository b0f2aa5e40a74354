package io.genrm4j.util;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * JSON Lines in and out. Readers are strict ({@link #STRICT}) and report a bad line as
 * {@code file:line: what is wrong} (a {@link UserException});
 * writers are atomic, so a failed run leaves no partial output.
 */
public final class Jsonl {
  /** The one mapper of the project: unknown fields are tolerated on read, output is compact. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .configure(SerializationFeature.INDENT_OUTPUT, false);

  /**
   * Reads one JSON document strictly: a duplicate key or anything after the value is an error, where the lenient
   * default would keep the last duplicate and ignore the rest. Only reading; {@link #MAPPER}'s output is unchanged.
   */
  public static final ObjectReader STRICT = MAPPER.reader()
      .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Jsonl() {}

  /** Parses one record of a line; throw {@link IllegalArgumentException} with a short reason for a bad record. */
  @FunctionalInterface
  public interface LineParser<T> {
    T parse(JsonNode node);
  }

  /** Reads every non-blank line of a .jsonl or .jsonl.gz file as a JSON object. */
  public static List<ObjectNode> readObjects(Path file) {
    return read(file, node -> (ObjectNode) node);
  }

  /** Reads every non-blank line, mapping it with {@code parser}; the first bad line stops the read. */
  public static <T> List<T> read(Path file, LineParser<T> parser) {
    try (BufferedReader reader = open(file)) {
      return read(file.toString(), reader, parser);
    } catch (NoSuchFileException e) {
      throw new UserException(file + ": no such file");
    } catch (IOException e) {
      throw new UserException(file + ": cannot read: " + e.getMessage());
    }
  }

  /**
   * Reads every non-blank line of an open reader (a zip entry, a resource), naming bad lines {@code source:line:}.
   * The caller closes the reader.
   */
  public static <T> List<T> read(String source, BufferedReader reader, LineParser<T> parser) throws IOException {
    List<T> out = new ArrayList<>();
    String line;
    int lineNo = 0;
    while ((line = reader.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = STRICT.readTree(line);
      } catch (JsonProcessingException e) {
        throw new UserException(source + ":" + lineNo + ": malformed JSON: " + e.getOriginalMessage());
      }
      if (node == null || !node.isObject()) {
        throw new UserException(source + ":" + lineNo + ": expected a JSON object");
      }
      try {
        out.add(parser.parse(node));
      } catch (IllegalArgumentException | ClassCastException e) {
        throw new UserException(source + ":" + lineNo + ": " + e.getMessage());
      }
    }
    return out;
  }

  /** Writes records atomically, one JSON value per line. */
  public static void write(Path file, Iterable<?> records) {
    AtomicFiles.write(
        file,
        out -> {
          for (Object r : records) {
            out.write(MAPPER.writeValueAsBytes(r));
            out.write('\n');
          }
        });
  }

  /** The text of a required string field; a missing or non-text field is an {@link IllegalArgumentException}. */
  public static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("missing field '" + field + "'");
    }
    if (!v.isValueNode()) {
      throw new IllegalArgumentException("field '" + field + "' must be a string");
    }
    return v.asText();
  }

  /**
   * A required field that must be a JSON string: a free text (a question, a solution) given as a number or a boolean
   * is more likely a broken file than a text.
   */
  public static String string(JsonNode node, String field) {
    String s = text(node, field);
    if (!node.get(field).isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' must be a string, got " + node.get(field));
    }
    return s;
  }

  /** The 1-based line number of each record {@link #read} returns (its non-blank lines), in order. */
  public static int[] recordLines(Path file) {
    List<Integer> out = new ArrayList<>();
    try (BufferedReader reader = open(file)) {
      String line;
      int lineNo = 0;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        if (!line.isBlank()) {
          out.add(lineNo);
        }
      }
    } catch (IOException e) {
      throw new UserException(file + ": cannot read: " + e.getMessage());
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** A file's lines, transparently gunzipped when the name ends in .gz. */
  public static BufferedReader open(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    if (file.getFileName().toString().endsWith(".gz")) {
      in = new GZIPInputStream(in, 1 << 16);
    }
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
  }

  /** Puts a number, or null when it is not finite (NaN, infinite): JSON has no such numbers. */
  public static void putNumber(ObjectNode o, String field, double v) {
    if (Double.isFinite(v)) {
      o.put(field, v);
    } else {
      o.putNull(field);
    }
  }

  public static String toJson(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
