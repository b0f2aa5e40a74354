package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.genrm4j.model.io.FloatTensor;
import io.genrm4j.model.io.SafetensorsDtype;
import io.genrm4j.model.io.SafetensorsReader;
import io.genrm4j.model.io.SafetensorsWriter;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Hugging Face checkpoint directories: {@code config.json}, {@code model.safetensors} (or shards with
 * {@code model.safetensors.index.json}) and {@code tokenizer.json}. A save builds the whole directory under a
 * temporary name and renames it into place, so a crash never leaves a half-written checkpoint that looks valid.
 */
public final class Checkpoint {
  private Checkpoint() {}

  /** A loaded model with its tokenizer. */
  public record Loaded(LlamaModel model, Tokenizer tokenizer) implements AutoCloseable {
    @Override
    public void close() {
      model.close();
    }
  }

  /** Saves with F32 weights. */
  public static void save(LlamaModel model, Tokenizer tokenizer, Path dir) {
    save(model, tokenizer, dir, SafetensorsDtype.F32);
  }

  /** Saves with weights stored as {@code dtype}: F32, F16 or BF16 (narrowed to nearest). */
  public static void save(LlamaModel model, Tokenizer tokenizer, Path dir, SafetensorsDtype dtype) {
    if (model.lora() != null) { // the adapters are not parameters: saving would silently drop them
      throw new IllegalStateException("a model with LoRA adapters is saved with LoraAdapter.save or as merged()");
    }
    Path abs = dir.toAbsolutePath();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      deleteRecursively(tmp);
      Files.createDirectories(tmp);
      Map<String, FloatTensor> tensors = hostTensors(model.parameters(), "");
      SafetensorsWriter.write(tmp.resolve("model.safetensors"), FusedProjections.fuse(model.config(), tensors),
          Map.of("format", "pt"), dtype);
      tokenizer.save(tmp);
      AtomicFiles.writeString(tmp.resolve("config.json"), model.config().toJson(dtype));
      if (Files.exists(abs)) {
        Path old = abs.resolveSibling("." + abs.getFileName() + ".old-" + ProcessHandle.current().pid());
        deleteRecursively(old);
        Files.move(abs, old);
        AtomicFiles.moveIntoPlace(tmp, abs);
        deleteRecursively(old);
      } else {
        AtomicFiles.moveIntoPlace(tmp, abs);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save checkpoint " + dir + ": " + e.getMessage(), e);
    } finally {
      try {
        deleteRecursively(tmp);
      } catch (IOException ignored) {
        // nothing under the final name depends on it
      }
    }
  }

  /** Copies of {@code arrays} as host tensors, in order, each name prefixed with {@code prefix}: what is saved. */
  public static Map<String, FloatTensor> hostTensors(Map<String, NDArray> arrays, String prefix) {
    Map<String, FloatTensor> out = new LinkedHashMap<>();
    arrays.forEach((k, a) -> out.put(prefix + k, new FloatTensor(a.getShape().getShape(), a.toFloatArray())));
    return out;
  }

  /**
   * Loads config, weights (widened to FP32) and tokenizer from a checkpoint directory, or a PEFT LoRA adapter
   * directory on top of the base it names ({@link LoraAdapter}).
   */
  public static Loaded load(Path dir, NDManager parent) {
    if (!Files.isDirectory(dir)) {
      throw new UserException(dir + ": not a checkpoint directory");
    }
    if (!Files.exists(dir.resolve("config.json")) && Files.exists(dir.resolve(LoraAdapter.CONFIG))) {
      return LoraAdapter.load(dir, parent);
    }
    ModelConfig cfg = ModelConfig.read(dir.resolve("config.json"));
    Tokenizer tok = Tokenizer.load(dir);
    Map<String, float[]> tensors = readTensors(dir, cfg);
    return new Loaded(LlamaModel.of(cfg, parent, tensors), tok);
  }

  /** Overwrites {@code model}'s weights with those of a checkpoint of the same config (resuming). */
  public static void loadWeightsInto(LlamaModel model, Path dir) {
    Map<String, float[]> tensors = readTensors(dir, model.config());
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      e.getValue().set(tensors.get(e.getKey()));
    }
  }

  private static Map<String, float[]> readTensors(Path dir, ModelConfig cfg) {
    Map<String, Shape> expected = FusedProjections.onDisk(cfg);
    Map<String, float[]> out = new LinkedHashMap<>();
    try (SafetensorsReader r = SafetensorsReader.open(dir)) {
      for (Map.Entry<String, Shape> e : expected.entrySet()) {
        String name = e.getKey();
        if (!r.contains(name)) {
          throw new UserException(dir + ": tensor '" + name + "' is missing (config.json expects "
              + e.getValue() + ")");
        }
        long[] shape = r.shape(name);
        if (!Arrays.equals(shape, e.getValue().getShape())) {
          throw new UserException(dir + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
              + ", config.json implies " + Arrays.toString(e.getValue().getShape()));
        }
        out.put(name, r.readFloats(name));
      }
    }
    return FusedProjections.split(cfg, out);
  }

  public static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(q);
      }
    }
  }
}
