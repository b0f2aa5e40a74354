package io.genrm4j.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.model.io.SafetensorsReader;
import io.genrm4j.model.io.SafetensorsWriter;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA adapters in PEFT's directory layout: {@code adapter_config.json} and {@code adapter_model.safetensors} with
 * tensors named {@code base_model.model.<module>.lora_A.weight} / {@code .lora_B.weight}, so PEFT and vLLM's LoRA
 * support load what is trained here, and the other way round. The config names the base checkpoint
 * ({@code base_model_name_or_path}); the tokenizer is saved beside the adapters as PEFT does.
 */
public final class LoraAdapter {
  private LoraAdapter() {}

  public static final String CONFIG = "adapter_config.json";
  public static final String WEIGHTS = "adapter_model.safetensors";
  private static final String PREFIX = "base_model.model.";

  /** Writes {@code model}'s adapters to {@code dir} (replacing it as a whole), naming {@code base} as their base. */
  public static void save(LlamaModel model, Tokenizer tok, Path base, Path dir) {
    Lora l = model.lora();
    if (l == null) {
      throw new IllegalStateException("the model has no LoRA adapters");
    }
    Path abs = dir.toAbsolutePath();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      Checkpoint.deleteRecursively(tmp);
      Files.createDirectories(tmp);
      SafetensorsWriter.write(tmp.resolve(WEIGHTS), Checkpoint.hostTensors(model.adapters(), PREFIX),
          Map.of("format", "pt"));
      ObjectNode c = Jsonl.MAPPER.createObjectNode();
      c.put("peft_type", "LORA");
      c.put("task_type", "CAUSAL_LM");
      c.put("base_model_name_or_path", base.toAbsolutePath().normalize().toString());
      c.put("r", l.rank());
      c.put("lora_alpha", l.alpha());
      c.put("lora_dropout", l.dropout());
      ArrayNode targets = c.putArray("target_modules");
      l.targetModules().forEach(targets::add);
      c.put("bias", "none");
      c.put("fan_in_fan_out", false);
      c.put("inference_mode", true);
      c.put("use_rslora", false);
      c.put("use_dora", false);
      c.putNull("modules_to_save");
      AtomicFiles.writeString(tmp.resolve(CONFIG), c.toPrettyString() + "\n");
      tok.save(tmp);
      if (Files.exists(abs)) {
        Checkpoint.deleteRecursively(abs);
      }
      AtomicFiles.moveIntoPlace(tmp, abs);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save adapter " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The base checkpoint {@code dir}'s config names, loaded, with the adapters attached. */
  static Checkpoint.Loaded load(Path dir, NDManager parent) {
    JsonNode c;
    try {
      c = Jsonl.MAPPER.readTree(dir.resolve(CONFIG).toFile());
    } catch (IOException e) {
      throw new UserException(dir.resolve(CONFIG) + ": not valid JSON: " + e.getMessage());
    }
    if (!"LORA".equals(c.path("peft_type").asText())) {
      throw new UserException(dir.resolve(CONFIG) + ": peft_type '" + c.path("peft_type").asText()
          + "' is not supported (LORA)");
    }
    for (String off : new String[] {"use_dora", "use_rslora", "fan_in_fan_out"}) {
      if (c.path(off).asBoolean(false)) {
        throw new UserException(dir.resolve(CONFIG) + ": " + off + " true is not supported");
      }
    }
    if (c.hasNonNull("modules_to_save") && !c.get("modules_to_save").isEmpty()) {
      throw new UserException(dir.resolve(CONFIG) + ": modules_to_save is not supported");
    }
    Path base = Path.of(c.path("base_model_name_or_path").asText(""));
    base = base.isAbsolute() ? base : dir.resolve(base);
    if (!Files.isDirectory(base)) {
      throw new UserException(dir.resolve(CONFIG) + ": base_model_name_or_path " + base
          + " is not a checkpoint directory here");
    }
    List<String> targets = new ArrayList<>();
    JsonNode tm = c.path("target_modules");
    if (tm.isTextual()) {
      throw new UserException(dir.resolve(CONFIG) + ": target_modules as a pattern is not supported; list them");
    }
    tm.forEach(t -> targets.add(t.asText()));
    Lora l;
    try {
      l = new Lora(c.path("r").asInt(0), c.path("lora_alpha").asDouble(0), c.path("lora_dropout").asDouble(0),
          targets);
    } catch (IllegalArgumentException e) {
      throw new UserException(dir.resolve(CONFIG) + ": " + e.getMessage());
    }
    Map<String, float[]> w = new LinkedHashMap<>();
    try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(WEIGHTS))) {
      for (String n : r.names()) {
        // PEFT may write the adapter name into the key (lora_A.default.weight): both forms are read
        w.put(n.replace(PREFIX, "").replace(".default.weight", ".weight"), r.readFloats(n));
      }
    }
    Checkpoint.Loaded b = Checkpoint.load(base, parent);
    try {
      b.model().attachLora(l, 0, w);
    } catch (IllegalArgumentException e) {
      b.close();
      throw new UserException(dir + ": " + e.getMessage());
    }
    return b;
  }
}
