package io.genrm4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.cli.Main;
import io.genrm4j.util.UserException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code genrm serve} refuses, at start and in one line, settings under which every request would fail or auth would
 * be off without saying so (issue #22, findings 6 and 9). The flags are checked before the model is loaded, so a
 * missing model directory does not hide them.
 */
class ServeCommandTest {
  @TempDir static Path dir;

  static String[] serve(String... flags) {
    List<String> a = new ArrayList<>(List.of("serve", "--model", dir.resolve("no-model").toString()));
    a.addAll(List.of(flags));
    return a.toArray(String[]::new);
  }

  static void assertRefused(String fragment, String... flags) {
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(new StringWriter(), true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(serve(flags));
    String e = err.toString();
    System.out.println("probe | serve " + String.join(" ", flags) + " | exit " + code + ": " + e.strip());
    assertEquals(2, code, e);
    assertTrue(e.startsWith("error: ") && e.contains(fragment), e);
    assertEquals(1, e.strip().lines().count(), e);
  }

  @Test
  void flagsUnderWhichEveryRequestWouldFailAreRefusedAtStart() throws Exception {
    assertRefused("--votes must be in [1, 64], got 0", "--votes", "0");
    assertRefused("--request-timeout-s must be in [1, 86400], got 0", "--request-timeout-s", "0");
    assertRefused("unknown prompt format 'bogus' (compact or paper)", "--format", "bogus");
    assertRefused("--port must be in [0, 65535], got 99999", "--port", "99999");
    assertRefused("--max-batch must be in [1, 4096], got 0", "--max-batch", "0");
    assertRefused("unknown verifier kind 'x' (one of orm, genrm, direct, genrm-unified, genrm-cot, cot, dpo, "
        + "llm-judge, judge)", "--mode", "x");
    assertRefused("--api-key: the API key is empty", "--api-key", "");
    Path empty = Files.writeString(dir.resolve("empty-key"), "\n");
    assertRefused(empty + ": the API key is empty", "--api-key-file", empty.toString());
    assertRefused("give --api-key or --api-key-file, not both", "--api-key", "k", "--api-key-file", empty.toString());
  }

  @Test
  void theKeyComesFromAFileTheFlagOrTheEnvironment() throws Exception {
    Path file = Files.writeString(dir.resolve("key"), "  s3cret\n");
    assertEquals("s3cret", ServeCommand.apiKey(null, file, "env-key"));
    assertEquals("flag-key", ServeCommand.apiKey("flag-key", null, "env-key"));
    assertEquals("env-key", ServeCommand.apiKey(null, null, "env-key"));
    assertNull(ServeCommand.apiKey(null, null, null));
    UserException e = assertThrows(UserException.class, () -> ServeCommand.apiKey(null, null, ""));
    assertTrue(e.getMessage().startsWith("GENRM_API_KEY: the API key is empty"), e.getMessage());
    e = assertThrows(UserException.class, () -> ServeCommand.apiKey(null, dir.resolve("absent"), null));
    assertTrue(e.getMessage().contains("cannot read the API key"), e.getMessage());
  }

  @Test
  void helpSaysTheFlagIsVisibleInPs() {
    StringWriter out = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.execute("serve", "--help");
    String help = out.toString().replaceAll("\\s+", " ");
    assertTrue(help.contains("visible to other users of this machine in ps") && help.contains("--api-key-file")
        && help.contains("GENRM_API_KEY"), help);
  }
}
