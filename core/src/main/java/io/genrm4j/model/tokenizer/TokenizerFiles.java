package io.genrm4j.model.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Small JSON helpers shared by the tokenizers. */
final class TokenizerFiles {
  private TokenizerFiles() {}

  static JsonNode readJson(Path file) {
    try {
      JsonNode n = Jsonl.MAPPER.readTree(Files.readAllBytes(file));
      if (n == null || !n.isObject()) {
        throw new UserException(file + ": expected a JSON object");
      }
      return n;
    } catch (NoSuchFileException e) {
      throw new UserException(file + ": no such file");
    } catch (JsonProcessingException e) {
      throw new UserException(file + ": malformed JSON: " + e.getOriginalMessage().replace('\n', ' '));
    } catch (IOException e) {
      throw new UserException(file + ": cannot read: " + e.getMessage());
    }
  }

  static JsonNode readJsonIfExists(Path file) {
    return Files.isRegularFile(file) ? readJson(file) : null;
  }

  static String readString(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UserException(file + ": cannot read: " + e.getMessage());
    }
  }

  /** A special token field of tokenizer_config.json: either a string or an AddedToken object with "content". */
  static String tokenContent(JsonNode config, String field) {
    if (config == null) {
      return null;
    }
    JsonNode v = config.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isTextual()) {
      return v.asText();
    }
    if (v.isObject() && v.path("content").isTextual()) {
      return v.get("content").asText();
    }
    return null;
  }
}
