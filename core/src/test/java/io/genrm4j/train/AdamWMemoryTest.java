package io.genrm4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AdamW's temporaries must die with the step: no arrays may pile up in the model's or the state's manager. */
class AdamWMemoryTest {
  @Test
  void stepsLeaveNoArraysBehind() {
    try (NDManager root = NDManager.newBaseManager("PyTorch");
        LlamaModel model = LlamaModel.init(Presets.get("test", 16), 1, root)) {
      model.setRequiresGradient(true);
      AdamW opt = new AdamW(model.parameters(), model.manager(), 0.9, 0.95, 1e-8, 0.1);
      List<TokenExample> batch = List.of(TokenExample.completion(new int[] {1, 5, 6}, new int[] {7, 8, 2}, 1f));
      int[] counts = new int[4];
      for (int i = 0; i < 4; i++) {
        try (NDManager sm = model.manager().newSubManager();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray loss = Losses.sft(0).loss(model, batch, sm);
          gc.backward(loss);
        }
        opt.step(1e-3, 1.0);
        counts[i] = root.getManagedArrays().size();
      }
      opt.close();
      assertEquals(counts[1], counts[3], "arrays alive after steps 1..4: " + java.util.Arrays.toString(counts));
    }
  }
}
