package io.genrm4j.cli;

import io.genrm4j.model.DecodeDtype;
import io.genrm4j.model.LlamaModel;
import picocli.CommandLine.Option;

/**
 * {@code --dtype}: the weights of plain-Java decoding ({@link DecodeDtype}), for the commands that decode.
 * Serializable as {@link VerifierOptions}, which Spark ships to its executors.
 */
public final class DtypeOption implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  @Option(names = "--dtype", defaultValue = "f32", description = "weights of plain-Java prefill and decoding: f32 or "
      + "bf16 (half their memory, one-stream decoding faster; logits differ by the weights' rounding; training and "
      + "the engine stay f32) (default: ${DEFAULT-VALUE})")
  String dtype = "f32";

  public DecodeDtype get() {
    return DecodeDtype.parse(dtype);
  }

  /** {@code model} decodes in this dtype; returns it. */
  public LlamaModel apply(LlamaModel model) {
    model.decodeIn(get());
    return model;
  }
}
