package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.BaseCorpus;
import io.genrm4j.task.RelatedListTask;
import io.genrm4j.task.Split;
import io.genrm4j.task.Tasks;
import io.genrm4j.train.TokenExample;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.RationalePositions;
import io.genrm4j.verify.VerifierData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pretrained base: built once into the cache, and the experiment's generator really starts from it. */
class PretrainingTest {
  @TempDir Path tmp;
  private String before;

  @BeforeEach
  void useATemporaryCache() {
    before = System.getProperty("genrm4j.cache");
    System.setProperty("genrm4j.cache", tmp.resolve("cache").toString());
  }

  @AfterEach
  void restoreTheCache() {
    if (before == null) {
      System.clearProperty("genrm4j.cache");
    } else {
      System.setProperty("genrm4j.cache", before);
    }
  }

  private static ExperimentProfile mini(String base) {
    return ExperimentProfile.named("mini").with(Map.of("base", base));
  }

  /** A last-letter run of {@code p} (seed 3, one worker, nothing printed) in the temporary directory {@code name}. */
  private RunDir runLastLetter(String name, ExperimentProfile p) {
    RunDir dir = new RunDir(tmp.resolve(name));
    Experiment.run(Tasks.LAST_LETTER, p, 3, 1, dir,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    return dir;
  }

  @Test
  void aBaseIsBuiltOnceAndItsHashFollowsTheRecipeAndPreset() throws Exception {
    CharTokenizer tok = Experiment.tokenizer(Tasks.LAST_LETTER);
    BaseRecipe r = BaseRecipe.named("test");
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(said, true, StandardCharsets.UTF_8);
    Path dir = Pretraining.ensure(r, "test", tok, n -> new me.tongfei.progressbar.ProgressBar("t", n), err);
    assertTrue(Files.exists(dir.resolve(Pretraining.BASE_JSON)) && Files.exists(dir.resolve("model.safetensors")));
    long built = Files.getLastModifiedTime(dir.resolve("model.safetensors")).toMillis();
    assertEquals(dir, Pretraining.ensure(r, "test", tok, n -> new me.tongfei.progressbar.ProgressBar("t", n), err));
    assertEquals(built, Files.getLastModifiedTime(dir.resolve("model.safetensors")).toMillis(), "not rebuilt");
    assertEquals(1, said.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("building base")).count());
    JsonNode info = Pretraining.readInfo(dir);
    assertEquals("test", info.get("recipe").asText());
    assertEquals("F16", info.get("dtype").asText(), "bases are kept small enough to ship");
    try (io.genrm4j.model.io.SafetensorsReader st = io.genrm4j.model.io.SafetensorsReader.open(dir)) {
      assertEquals("F16", st.dtype("model.embed_tokens.weight"));
    }
    assertEquals("float16", Jsonl.MAPPER.readTree(dir.resolve("config.json").toFile()).get("torch_dtype").asText());
    assertEquals(r.steps(), info.get("steps").asInt());
    JsonNode a = info.get("abilities");
    for (String k : new String[] {"second-to-last-letters_direct_8_to_10", "last_letter_direct_6_zero_shot"}) {
      double auroc = a.get(k).get("auroc").asDouble();
      assertTrue(auroc >= 0 && auroc <= 1, k);
    }
    assertNotEquals(r.hash("test", "x"), r.hash("tiny", "x"));
    assertNotEquals(r.hash("test", "x"), BaseRecipe.named("related-lists").hash("test", "x"));
    assertNotEquals(BaseRecipe.named("related-lists").hash("tiny", "x"),
        BaseRecipe.named("related-lists-weighted").hash("tiny", "x"), "the label weight is part of the hash");
    BaseRecipe c = BaseRecipe.named("related-lists-cot-coupled");
    BaseRecipe marked = new BaseRecipe(c.name(), c.corpus(), c.steps(), c.batch(), c.lr(), c.labelWeight(), c.from(),
        new BaseRecipe.CotLayout(c.cot().positions(), c.cot().verdictWeight(), AnswerComparison.MARKED));
    assertNotEquals(c.hash("tiny", "x"), marked.hash("tiny", "x"), "the comparison is part of the hash");
    List<BaseCorpus.Item> items = Pretraining.corpus(r);
    List<TokenExample> weighted = Pretraining.examples(tok, items, 50, BaseRecipe.CotLayout.PLAIN);
    for (int i = 0; i < items.size(); i++) {
      assertEquals(items.get(i).kind() == BaseCorpus.Kind.DIRECT ? 50f : 1f, weighted.get(i).weight(),
          items.get(i).kind() + " item " + i);
    }
    assertThrows(UserException.class, () -> BaseRecipe.named("nope"));
    assertThrows(UserException.class, () -> mini("nope"), "an unknown base fails when the profile is made");
  }

  /** An ablation measures one missing ingredient only if every other field of its phase equals the default's. */
  @Test
  void theAblationsAreTheDefaultChainWithoutOneIngredient() {
    String closest = RelatedListTask.NAMES.get(RelatedListTask.NAMES.size() - 1);
    String[][] phases = {{"related-lists-weighted", "related-lists-no-closest"},
        {"related-lists-two-phase", "related-lists-no-closest-two-phase"},
        {"related-lists-cot-coupled", "related-lists-no-closest-cot-coupled"}};
    for (String[] pair : phases) {
      BaseRecipe d = BaseRecipe.named(pair[0]);
      BaseRecipe a = BaseRecipe.named(pair[1]);
      BaseCorpus.Spec dc = d.corpus();
      List<String> solved = dc.solutionTasks().stream().filter(t -> !t.equals(closest)).toList();
      List<String> verified = dc.verificationTasks().stream().filter(t -> !t.equals(closest)).toList();
      assertEquals(new BaseCorpus.Spec(solved, verified, dc.verificationKinds(), dc.minItems(), dc.maxItems(),
          dc.perTaskAndKind(), dc.seed()), a.corpus(), pair[1]);
      assertEquals(List.of(d.steps(), d.batch(), d.lr(), d.labelWeight()),
          List.of(a.steps(), a.batch(), a.lr(), a.labelWeight()), pair[1]);
      assertEquals(d.cot(), a.cot(), pair[1]);
    }
    assertEquals("related-lists-no-closest-two-phase", BaseRecipe.named("related-lists-no-closest-cot-coupled").from());
    assertEquals("related-lists-no-closest", BaseRecipe.named("related-lists-no-closest-two-phase").from());
    BaseRecipe first = BaseRecipe.named("related-lists-weighted");
    BaseRecipe none = BaseRecipe.named("related-lists-no-verification");
    assertEquals(first.corpus().solutionTasks(), none.corpus().solutionTasks());
    assertEquals(List.of(), none.corpus().verificationTasks());
    assertEquals(List.of(first.steps(), first.batch(), first.lr(), first.corpus().perTaskAndKind()),
        List.of(none.steps(), none.batch(), none.lr(), none.corpus().perTaskAndKind()));
  }

  @Test
  void aWordSortingBaseMeasuresWhatItCanDoOnWordSorting() throws Exception {
    BaseRecipe r = BaseRecipe.named("test-words");
    assertEquals("word-sorting", r.target());
    CharTokenizer tok = Experiment.tokenizer(Tasks.WORD_SORTING);
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    Path dir = Pretraining.ensure(r, "test", tok, n -> new me.tongfei.progressbar.ProgressBar("t", n),
        new PrintStream(said, true, StandardCharsets.UTF_8));
    JsonNode a = Pretraining.readInfo(dir).get("abilities");
    assertEquals(List.of("3", "5", "6", "8"), iterate(a.get("word_sorting_greedy_solved").fieldNames()));
    for (String k : new String[] {"sort-descending_direct_6_to_8", "word_sorting_direct_5_zero_shot",
        "sort-descending_cot_judgement_6_to_8", "word_sorting_cot_judgement_5_zero_shot"}) {
      double auroc = a.get(k).get("auroc").asDouble();
      assertTrue(auroc >= 0 && auroc <= 1, k + " in " + a);
    }
  }

  private static List<String> iterate(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void aSecondPhaseContinuesTheFirstPhasesBase() throws Exception {
    CharTokenizer tok = Experiment.tokenizer(Tasks.LAST_LETTER);
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(said, true, StandardCharsets.UTF_8);
    Path second = Pretraining.ensure(BaseRecipe.named("test-second-phase"), "test", tok,
        n -> new me.tongfei.progressbar.ProgressBar("t", n), err);
    Path first = Pretraining.dir(BaseRecipe.named("test"), "test", tok);
    assertTrue(Files.exists(first.resolve(Pretraining.BASE_JSON)), "the first phase is built on the way");
    assertEquals(first.getFileName().toString(), Pretraining.readInfo(second).get("from").asText());
    try (ai.djl.ndarray.NDManager root = ai.djl.ndarray.NDManager.newBaseManager();
        io.genrm4j.model.Checkpoint.Loaded a = io.genrm4j.model.Checkpoint.load(first, root);
        io.genrm4j.model.Checkpoint.Loaded b = io.genrm4j.model.Checkpoint.load(second, root)) {
      String w = "model.layers.0.mlp.up_proj.weight";
      float[] x = a.model().parameters().get(w).toFloatArray();
      float[] y = b.model().parameters().get(w).toFloatArray();
      double moved = 0;
      for (int i = 0; i < x.length; i++) {
        moved = Math.max(moved, Math.abs(x[i] - y[i]));
      }
      assertTrue(moved > 0 && moved < 0.05, "two steps at lr 1e-3 from the first phase's weights: " + moved);
    }
    assertNotEquals(BaseRecipe.named("test").hash("test", "x"), BaseRecipe.named("test-second-phase").hash("test", "x"));
  }

  @Test
  void aCoupledCotBaseLaysOutItsRationalesAsTheExperimentsGenRmCotDoes() throws Exception {
    CharTokenizer tok = Experiment.tokenizer(Tasks.LAST_LETTER);
    BaseRecipe r = BaseRecipe.named("test-cot-coupled");
    List<BaseCorpus.Item> items = Pretraining.corpus(r);
    List<TokenExample> ex = Pretraining.examples(tok, items, r.labelWeight(), r.cot());
    int cot = 0;
    for (int i = 0; i < items.size(); i++) {
      BaseCorpus.Item it = items.get(i);
      if (it.kind() != BaseCorpus.Kind.COT) {
        continue;
      }
      cot++;
      var l = new VerifierData.Labeled(it.problem().question(), it.candidate(), it.correct(),
          it.rationaleBody());
      TokenExample expected = VerifierData.cot(tok, Pretraining.FORMAT, List.of(l), RationalePositions.COUPLED, 30f)
          .get(0);
      TokenExample got = ex.get(i);
      assertArrayEquals(expected.ids(), got.ids(), "item " + i);
      assertArrayEquals(expected.positions(), got.positions(), "coupled positions, item " + i);
      assertArrayEquals(expected.emphasis(), got.emphasis(), "the judgement weighs 30, item " + i);
      assertFalse(java.util.Arrays.equals(VerifierData.cot(tok, Pretraining.FORMAT, List.of(l),
          RationalePositions.SOLUTION).get(0).positions(), got.positions()), "item " + i);
    }
    assertTrue(cot > 0);
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    Path dir = Pretraining.ensure(r, "test", tok, n -> new me.tongfei.progressbar.ProgressBar("t", n),
        new PrintStream(said, true, StandardCharsets.UTF_8));
    JsonNode a = Pretraining.readInfo(dir).get("abilities");
    for (String k : new String[] {"second-to-last-letters_cot_judgement_8_to_10", "last_letter_cot_judgement_3_zero_shot",
        "last_letter_cot_judgement_6_zero_shot"}) {
      double auroc = a.get(k).get("auroc").asDouble();
      assertTrue(auroc >= 0 && auroc <= 1, k);
    }
    BaseRecipe plain = new BaseRecipe(r.name(), r.corpus(), r.steps(), r.batch(), r.lr(), r.labelWeight(), r.from());
    assertNotEquals(plain.hash("test", "x"), r.hash("test", "x"), "the CoT layout is part of the hash");
  }

  @Test
  void theShippedBasesAreUnpackedNotBuilt() throws Exception {
    for (String name : List.of("related-lists-two-phase", "related-lists-cot-coupled", "related-words-cot",
        "related-lists-cot-coupled-marked-long", "related-lists-cot-coupled-marked-longer")) {
      theShippedBaseIsUnpackedNotBuilt(BaseRecipe.named(name));
    }
  }

  private static void theShippedBaseIsUnpackedNotBuilt(BaseRecipe r) throws Exception {
    CharTokenizer tok = Experiment.tokenizer(Tasks.LAST_LETTER);
    assertTrue(Pretraining.isBundled(r, "tiny", tok), r.name());
    assertFalse(Pretraining.isBundled(r, "small", tok), "the hash names the preset");
    assertFalse(Pretraining.isBundled(BaseRecipe.named("test"), "test", tok));
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(said, true, StandardCharsets.UTF_8);
    Path dir = Pretraining.ensure(r, "tiny", tok, n -> {
      throw new AssertionError("a shipped base is not built");
    }, err);
    assertEquals(Pretraining.dir(r, "tiny", tok), dir);
    assertTrue(said.toString(StandardCharsets.UTF_8).contains("the copy shipped with genrm4j"), said.toString());
    JsonNode info = Pretraining.readInfo(dir);
    assertEquals(r.name(), info.get("recipe").asText());
    assertTrue(dir.getFileName().toString().endsWith("-" + info.get("hash").asText()), "the cache name's hash");
    assertEquals("F16", info.get("dtype").asText());
    assertTrue(Files.size(dir.resolve("model.safetensors")) < 400_000);
    try (ai.djl.ndarray.NDManager root = ai.djl.ndarray.NDManager.newBaseManager();
        io.genrm4j.model.Checkpoint.Loaded b = io.genrm4j.model.Checkpoint.load(dir, root)) {
      assertEquals(tok.vocabSize(), b.model().config().vocabSize());
    }
  }

  @Test
  void theGeneratorStartsFromTheBase() throws Exception {
    RunDir withBase = runLastLetter("with", mini("test"));
    RunDir without = runLastLetter("without", mini(BaseRecipe.NONE));
    JsonNode log = Jsonl.MAPPER.readTree(withBase.trainLog("generator").toFile());
    JsonNode base = log.get("base");
    assertEquals("test", base.get("info").get("recipe").asText());
    assertEquals(0, base.get("test_ood_problems_in_corpus").asInt());
    assertTrue(Jsonl.MAPPER.readTree(withBase.config().toFile()).get("base_dir").asText().startsWith("test-test-"));
    JsonNode plain = Jsonl.MAPPER.readTree(without.trainLog("generator").toFile());
    assertFalse(plain.has("base"));
    // Same seed, data and order: only the starting weights differ, so the first loss tells them apart.
    assertNotEquals(plain.get("losses").get(0).asDouble(), log.get("losses").get(0).asDouble());
  }

  @Test
  void theVerifiersCanStartFromABaseInsteadOfTheGenerator() throws Exception {
    RunDir fromGenerator = runLastLetter("from-generator", mini("test"));
    // another base than the generator's, so its weights cannot be the generator's starting point by chance
    RunDir fromBase = runLastLetter("from-base", mini("test").with(Map.of("verifierBase", "test-second-phase")));
    // Same seed, generator, candidates and verifier data: only the verifiers' starting weights differ, so their first
    // losses tell them apart, and DPO, which starts from its reference (the generator) either way, is unchanged.
    for (String method : List.of("orm", "genrm", "genrm-unified", "genrm-cot", "dpo")) {
      double a = Jsonl.MAPPER.readTree(fromGenerator.trainLog(method).toFile()).get("losses").get(0).asDouble();
      double b = Jsonl.MAPPER.readTree(fromBase.trainLog(method).toFile()).get("losses").get(0).asDouble();
      if (method.equals("dpo")) {
        assertEquals(a, b, method);
      } else {
        assertNotEquals(a, b, method);
      }
    }
    assertEquals(Files.readString(fromGenerator.candidates(Split.TEST_OOD)),
        Files.readString(fromBase.candidates(Split.TEST_OOD)));
    // config.json names the field only when it is not the default, so runs written before it existed resume
    assertFalse(Jsonl.MAPPER.readTree(fromGenerator.config().toFile()).get("profile").has("verifierBase"));
    assertEquals("test-second-phase",
        Jsonl.MAPPER.readTree(fromBase.config().toFile()).get("profile").get("verifierBase").asText());
    assertTrue(Files.readString(fromBase.report()).contains("The generator starts from the base `test`; the verifiers"
        + " are fine-tuned from the base `test-second-phase` (DPO from the generator, its reference)."));
    for (String bad : List.of("none", "nope")) {
      UserException e = assertThrows(UserException.class, () -> mini("test").with(Map.of("verifierBase", bad)));
      assertTrue(e.getMessage().contains(bad) && !e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void replayAddsBaseCorpusItemsToTheSftVerifiersOnly() throws Exception {
    RunDir dir = runLastLetter("replay", mini("test").with(Map.of("baseReplay", "0.5", "cotBaseReplay", "0.75")));
    int orm = Jsonl.MAPPER.readTree(dir.trainLog("orm").toFile()).get("examples").asInt();
    int genrm = Jsonl.MAPPER.readTree(dir.trainLog("genrm").toFile()).get("examples").asInt();
    int cot = Jsonl.MAPPER.readTree(dir.trainLog("genrm-cot").toFile()).get("examples").asInt();
    assertTrue(orm > 0);
    assertEquals(2 * orm, genrm, "half of GenRM's examples are replayed base items, the ORM gets none");
    // GenRM-CoT: its rationales, the generator's solutions (cotReplay) and three times its rationales from the base
    assertTrue(cot >= 4 * orm, cot + " GenRM-CoT examples for " + orm + " labelled candidates");
    assertEquals(0.75, Jsonl.MAPPER.readTree(dir.config().toFile()).get("profile").get("cotBaseReplay").asDouble());
    assertThrows(UserException.class, () -> ExperimentProfile.named("mini").with(Map.of("baseReplay", "0.3")),
        "replay needs a base");
    assertThrows(UserException.class, () -> ExperimentProfile.named("mini").with(Map.of("base", "test",
        "baseReplay", "1")));
  }
}
