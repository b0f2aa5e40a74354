package io.genrm4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Typed, range-checked reads of JSON request fields; every problem is a 400 naming the field. */
final class Req {
  private Req() {}

  /**
   * A request body as one JSON object, read strictly: malformed JSON, invalid UTF-8, nesting deeper than Jackson's
   * limit, a duplicate key or anything after the object is a 400 saying which.
   */
  static JsonNode object(byte[] bytes) {
    if (bytes.length == 0) {
      throw ApiError.badRequest("empty request body; expected a JSON object");
    }
    JsonNode node;
    try {
      node = Jsonl.STRICT.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiError.badRequest("unreadable body: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw ApiError.badRequest("expected a JSON object");
    }
    return node;
  }

  static int intField(JsonNode body, String name, int dflt, int min, int max) {
    JsonNode v = body.get(name);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw ApiError.badRequest("'" + name + "' must be an integer");
    }
    int x = v.asInt();
    if (x < min || x > max) {
      throw ApiError.badRequest("'" + name + "' must be in [" + min + ", " + max + "], got " + x);
    }
    return x;
  }

  static long longField(JsonNode body, String name) {
    JsonNode v = body.get(name);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw ApiError.badRequest("'" + name + "' must be an integer");
    }
    return v.asLong();
  }

  static double numField(JsonNode body, String name, double dflt, double min, double max) {
    JsonNode v = body.get(name);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isNumber()) {
      throw ApiError.badRequest("'" + name + "' must be a number");
    }
    double x = v.asDouble();
    if (!(x >= min && x <= max)) {
      throw ApiError.badRequest("'" + name + "' must be in [" + min + ", " + max + "], got " + x);
    }
    return x;
  }

  static boolean boolField(JsonNode body, String name, boolean dflt) {
    JsonNode v = body.get(name);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isBoolean()) {
      throw ApiError.badRequest("'" + name + "' must be true or false");
    }
    return v.asBoolean();
  }

  static String text(JsonNode body, String name, boolean required) {
    JsonNode v = body.get(name);
    if (v == null || v.isNull()) {
      if (required) {
        throw ApiError.badRequest("'" + name + "' is required");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw ApiError.badRequest("'" + name + "' must be a string");
    }
    return v.asText();
  }

  /** A string or a list of strings (OpenAI's {@code stop}); empty when absent. */
  static List<String> stringOrList(JsonNode body, String name, int max) {
    JsonNode v = body.get(name);
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (v.isTextual()) {
      out.add(v.asText());
    } else if (v.isArray()) {
      for (JsonNode e : v) {
        if (!e.isTextual()) {
          throw ApiError.badRequest("'" + name + "' must be a string or a list of strings");
        }
        out.add(e.asText());
      }
    } else {
      throw ApiError.badRequest("'" + name + "' must be a string or a list of strings");
    }
    if (out.size() > max) {
      throw ApiError.badRequest("at most " + max + " entries in '" + name + "'");
    }
    for (String s : out) {
      if (s.isEmpty()) {
        throw ApiError.badRequest("'" + name + "' entries must not be empty");
      }
    }
    return out;
  }

  static List<String> stringList(JsonNode body, String name, int max) {
    JsonNode v = body.get(name);
    if (v == null || v.isNull()) {
      throw ApiError.badRequest("'" + name + "' is required (a list of strings)");
    }
    if (!v.isArray()) {
      throw ApiError.badRequest("'" + name + "' must be a list of strings");
    }
    if (v.isEmpty()) {
      throw ApiError.badRequest("'" + name + "' must not be empty");
    }
    if (v.size() > max) {
      throw new ApiError(400, "limit_exceeded", "at most " + max + " entries in '" + name + "', got " + v.size());
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw ApiError.badRequest("'" + name + "' must be a list of strings");
      }
      out.add(e.asText());
    }
    return out;
  }

  /** A list of at most {@code max} token ids in [0, vocab); empty when absent. */
  static int[] tokenIds(JsonNode body, String name, int max, int vocab) {
    JsonNode ids = body.get(name);
    if (ids == null || ids.isNull()) {
      return new int[0];
    }
    if (!ids.isArray() || ids.size() > max) {
      throw ApiError.badRequest("'" + name + "' must be a list of at most " + max + " token ids");
    }
    int[] out = new int[ids.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode e = ids.get(i);
      if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < 0 || e.asInt() >= vocab) {
        throw ApiError.badRequest("'" + name + "' entries must be token ids in [0, " + vocab + ")");
      }
      out[i] = e.asInt();
    }
    return out;
  }
}
