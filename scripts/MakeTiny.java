import ai.djl.ndarray.NDManager;
import io.genrm4j.model.*;
import io.genrm4j.model.tokenizer.CharTokenizer;
import java.nio.file.Path;

public class MakeTiny {
  public static void main(String[] a) {
    StringBuilder s = new StringBuilder("\n");
    for (char c = 32; c < 127; c++) s.append(c);
    CharTokenizer tok = CharTokenizer.of(s.toString());
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(Presets.get(a[1], tok.vocabSize()), 1, root)) {
      Checkpoint.save(m, tok, Path.of(a[0]));
    }
  }
}
