package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.TestTokenizers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import picocli.CommandLine;

/** One {@code genrm} invocation inside the test JVM: its exit code and what it printed. */
record CliRun(int code, String out, String err) {

  static CliRun of(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /** As {@link #of}, printing a {@code probe | name | exit N: ...} line for the closing note's probe table. */
  static CliRun probe(String name, String... args) {
    CliRun r = of(args);
    System.out.println("probe | " + name + " | exit " + r.code() + ": "
        + (r.code() == 0 ? r.out().strip() : r.err().strip()));
    return r;
  }

  /** A user error: exit 2 and one line {@code error: ...} containing {@code fragment}, no stack trace. */
  static void assertOneLineError(CliRun r, String fragment) {
    assertEquals(2, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("error: ") && r.err().contains(fragment), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }

  /** A randomly initialised {@code test}-preset checkpoint (printable-ASCII tokenizer) saved to {@code dir}. */
  static Path randomCheckpoint(Path dir, long seed) {
    CharTokenizer tok = TestTokenizers.printableAscii();
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", tok.vocabSize()), seed, root)) {
      Checkpoint.save(m, tok, dir);
    }
    return dir;
  }

  /** The arguments {@code a} followed by {@code b}. */
  static String[] concat(String[] a, String... b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
