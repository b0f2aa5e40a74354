package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.VerifierKind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The profile files: their values, and the profile's JSON in a run's {@code config.json} (old runs must resume). */
class ExperimentProfileTest {
  /**
   * Every field of every named profile on both tasks, as the profiles were when they were positional Java
   * constructors (commit f73aa1f) plus leakFreeVerifierData (issue #21), in the exact JSON {@link Experiment} writes
   * into {@code config.json}; quick's last-letter settings as of 2026-12-04 (the CoT base with replay, 100 test problems), word sorting's as of
   * 2026-12-05 (its own base, related-words-cot; coupled-lines positions); cotRestatement and cotComparison (2026-12-06)
   * at what every run before them did, which config.json omits, except last-letter's, whose verifiers start from
   * the marked base (quick's from -marked-longer) and whose GenRM-CoT compares letter by letter after a forced
   * restatement (2026-12-06); directVerLr (2026-12-07) at verLr's value, which config.json omits, except
   * last-letter's 2e-4 (quick since 2026-12-07, full since 2026-12-08).
   */
  @Test
  void namedProfilesAndTheirConfigJsonAreUnchanged() throws Exception {
    assertPinned("mini", "last-letter", """
        {"name":"mini","preset":"test","trainProblems":6,"testProblems":3,"samplesPerTrainProblem":4,"maxPerClass":2,"n":4,"votes":2,"genSteps":3,"genTarget":0.0,"genBatch":4,"genLr":0.003,"verSteps":2,"verBatch":4,"verLr":0.001,"lambda":1.0,"cotReplay":1.0,"cotPositions":"solution","cotVerdictWeight":1.0,"dpoBeta":0.1,"temperature":1.0,"cotTemperature":0.7,"tokenCap":12,"leakFreeVerifierData":true,"syntheticPairs":0,"base":"none","baseReplay":0.0,"verifierBase":"generator","cotRestatement":"sampled","cotComparison":"whole","cotBaseReplay":0.0,"directVerLr":0.001}""");
    assertPinned("mini", "word-sorting", """
        {"name":"mini","preset":"test","trainProblems":6,"testProblems":3,"samplesPerTrainProblem":4,"maxPerClass":2,"n":4,"votes":2,"genSteps":3,"genTarget":0.0,"genBatch":4,"genLr":0.003,"verSteps":2,"verBatch":4,"verLr":0.001,"lambda":1.0,"cotReplay":1.0,"cotPositions":"solution","cotVerdictWeight":1.0,"dpoBeta":0.1,"temperature":1.0,"cotTemperature":0.7,"tokenCap":12,"leakFreeVerifierData":true,"syntheticPairs":0,"base":"none","baseReplay":0.0,"verifierBase":"generator","cotRestatement":"sampled","cotComparison":"whole","cotBaseReplay":0.0,"directVerLr":0.001}""");
    assertPinned("quick", "last-letter", """
        {"name":"quick","preset":"tiny","trainProblems":1000,"testProblems":100,"samplesPerTrainProblem":8,"maxPerClass":4,"n":32,"votes":8,"genSteps":2000,"genTarget":0.3,"genBatch":16,"genLr":0.003,"verSteps":1500,"verBatch":16,"verLr":0.002,"lambda":1.0,"cotReplay":1.0,"cotPositions":"coupled","cotVerdictWeight":30.0,"dpoBeta":0.1,"temperature":1.0,"cotTemperature":0.7,"tokenCap":0,"leakFreeVerifierData":true,"syntheticPairs":4000,"base":"related-lists-cot-coupled","baseReplay":0.1,"verifierBase":"related-lists-cot-coupled-marked-longer","cotRestatement":"forced","cotComparison":"marked","cotBaseReplay":0.3,"directVerLr":2.0E-4}""");
    assertPinned("quick", "word-sorting", """
        {"name":"quick","preset":"tiny","trainProblems":1000,"testProblems":100,"samplesPerTrainProblem":8,"maxPerClass":4,"n":32,"votes":8,"genSteps":3000,"genTarget":0.3,"genBatch":16,"genLr":0.003,"verSteps":1500,"verBatch":16,"verLr":0.002,"lambda":1.0,"cotReplay":1.0,"cotPositions":"coupled-lines","cotVerdictWeight":30.0,"dpoBeta":0.1,"temperature":1.0,"cotTemperature":0.7,"tokenCap":0,"leakFreeVerifierData":true,"syntheticPairs":4000,"base":"related-words-cot","baseReplay":0.3,"verifierBase":"generator","cotRestatement":"sampled","cotComparison":"whole","cotBaseReplay":0.3,"directVerLr":0.002}""");
    assertPinned("full", "last-letter", """
        {"name":"full","preset":"tiny","trainProblems":2000,"testProblems":100,"samplesPerTrainProblem":8,"maxPerClass":4,"n":32,"votes":16,"genSteps":2000,"genTarget":0.3,"genBatch":16,"genLr":0.003,"verSteps":3000,"verBatch":16,"verLr":0.002,"lambda":1.0,"cotReplay":1.0,"cotPositions":"coupled","cotVerdictWeight":30.0,"dpoBeta":0.1,"temperature":1.0,"cotTemperature":0.7,"tokenCap":0,"leakFreeVerifierData":true,"syntheticPairs":8000,"base":"related-lists-cot-coupled","baseReplay":0.1,"verifierBase":"related-lists-cot-coupled-marked-long","cotRestatement":"forced","cotComparison":"marked","cotBaseReplay":0.3,"directVerLr":2.0E-4}""");
    assertPinned("full", "word-sorting", """
        {"name":"full","preset":"tiny","trainProblems":2000,"testProblems":100,"samplesPerTrainProblem":8,"maxPerClass":4,"n":32,"votes":16,"genSteps":3000,"genTarget":0.3,"genBatch":16,"genLr":0.003,"verSteps":3000,"verBatch":16,"verLr":0.002,"lambda":1.0,"cotReplay":1.0,"cotPositions":"coupled-lines","cotVerdictWeight":30.0,"dpoBeta":0.1,"temperature":1.0,"cotTemperature":0.7,"tokenCap":0,"leakFreeVerifierData":true,"syntheticPairs":8000,"base":"related-words-cot","baseReplay":0.3,"verifierBase":"generator","cotRestatement":"sampled","cotComparison":"whole","cotBaseReplay":0.3,"directVerLr":0.002}""");
    assertEquals(List.of("mini", "quick", "full"), List.copyOf(ExperimentProfile.all().keySet()));
  }

  private static void assertPinned(String profile, String task, String configJson) throws Exception {
    ExperimentProfile p = ExperimentProfile.named(profile).forTask(task);
    assertEquals(configJson, Jsonl.MAPPER.writeValueAsString(Jsonl.MAPPER.valueToTree(p)), profile + "/" + task);
  }

  @Test
  void wordSortingOverridesOnlyGeneratorStepsTheBasesItsReplayAndTheRationalesOfQuickAndFull() {
    for (String name : List.of("quick", "full")) {
      ExperimentProfile p = ExperimentProfile.named(name);
      assertEquals(p, p.forTask("last-letter"));
      ExperimentProfile ws = p.forTask("word-sorting");
      assertEquals(3000, ws.genSteps());
      assertEquals("related-words-cot", ws.base(), "word sorting starts from the base of word lists");
      assertEquals("word-sorting", BaseRecipe.named(ws.base()).target());
      assertEquals("last-letter", BaseRecipe.named(p.base()).target());
      ObjectNode wsBack = Jsonl.MAPPER.valueToTree(ws);
      ObjectNode last = Jsonl.MAPPER.valueToTree(p);
      assertEquals(0.3, ws.baseReplay());
      assertEquals("coupled-lines", ws.cotPositions());
      assertEquals("generator", ws.verifierBase(), "word sorting's verifiers start from its generator");
      assertEquals("whole", ws.cotComparison());
      for (String f : List.of("genSteps", "base", "baseReplay", "cotBaseReplay", "cotPositions", "verifierBase",
          "cotRestatement", "cotComparison", "directVerLr")) {
        wsBack.set(f, last.get(f));
      }
      assertEquals(last, wsBack, name + ": only generator steps, the bases, the replay, the rationales' positions, "
          + "restatement and comparison and the direct verifiers' rate differ");
      assertEquals(ws.verLr(), ws.verLr(VerifierKind.GENRM), "word sorting's direct verifiers train at verLr");
    }
    ExperimentProfile mini = ExperimentProfile.named("mini");
    assertEquals(mini, mini.forTask("word-sorting"));
  }

  @Test
  void setChangesFieldsWithTheirTypesAndWinsOverTaskOverrides() {
    ExperimentProfile quick = ExperimentProfile.named("quick");
    ExperimentProfile p = quick.with(java.util.Map.of("leakFreeVerifierData", "false", "verLr", "1e-3",
        "cotPositions", "sequential", "genSteps", "500"));
    assertEquals(false, p.leakFreeVerifierData());
    assertEquals(1e-3, p.verLr());
    assertEquals("sequential", p.cotPositions());
    ExperimentProfile ws = quick.forTask("word-sorting");
    assertEquals(500, ws.with(java.util.Map.of("genSteps", "500")).genSteps(), "set by hand wins over the task's");
    assertEquals(3000, ws.with(java.util.Map.of("verLr", "1e-3")).genSteps());
    // word sorting overrides baseReplay; a value set by hand equal to the profile's own is still the value run
    assertEquals(0.3, ws.baseReplay());
    assertEquals(0.1, quick.baseReplay());
    assertEquals(0.1, ws.with(java.util.Map.of("baseReplay", "0.1")).baseReplay());
    assertEquals(quick, quick.with(java.util.Map.of()));
    UserException unknown = assertThrows(UserException.class, () -> quick.with(java.util.Map.of("nope", "1")));
    assertTrue(unknown.getMessage().startsWith("--set: ") && unknown.getMessage().contains("nope")
        && !unknown.getMessage().contains("\n"), unknown.getMessage());
    assertThrows(UserException.class, () -> quick.with(java.util.Map.of("verSteps", "many")));
    // quick last-letter replays its verifiers' base: a random start everywhere has to turn replay off too, and the
    // error says how; a generator from random weights with verifiers from a base still replays that base
    Map<String, String> random = Map.of("base", "none", "verifierBase", "generator");
    UserException noBase = assertThrows(UserException.class, () -> quick.with(random));
    assertTrue(noBase.getMessage().contains("--set baseReplay=0 --set cotBaseReplay=0")
        && !noBase.getMessage().contains("\n"), noBase.getMessage());
    Map<String, String> noReplay = new java.util.HashMap<>(random);
    noReplay.putAll(Map.of("baseReplay", "0", "cotBaseReplay", "0"));
    assertEquals(BaseRecipe.NONE, quick.with(noReplay).base());
    assertEquals(0.3, quick.with(Map.of("base", "none")).baseReplay(VerifierKind.GENRM_COT));
    assertEquals(0.1, quick.with(Map.of("base", "none")).baseReplay(VerifierKind.GENRM));
  }

  @Test
  void directVerifiersTrainAtTheirOwnRate() {
    ExperimentProfile quick = ExperimentProfile.named("quick");
    for (VerifierKind k : List.of(VerifierKind.ORM, VerifierKind.GENRM, VerifierKind.GENRM_UNIFIED)) {
      assertEquals(2e-4, quick.verLr(k), k.id());
    }
    for (VerifierKind k : List.of(VerifierKind.GENRM_COT, VerifierKind.DPO)) {
      assertEquals(2e-3, quick.verLr(k), k.id());
    }
    assertEquals(1e-3, quick.with(Map.of("directVerLr", "1e-3")).verLr(VerifierKind.GENRM));
    ExperimentProfile full = ExperimentProfile.named("full");
    assertEquals(2e-4, full.verLr(VerifierKind.GENRM));
    assertEquals(2e-3, full.verLr(VerifierKind.GENRM_COT));
    UserException zero = assertThrows(UserException.class, () -> quick.with(Map.of("directVerLr", "0")));
    assertTrue(zero.getMessage().contains("directVerLr"), zero.getMessage());
  }

  @Test
  void parseReadsCommentsAndRejectsMissingOrUnknownFields() throws Exception {
    String quick = Jsonl.MAPPER.writeValueAsString(ExperimentProfile.named("quick"));
    assertEquals(ExperimentProfile.named("quick"), ExperimentProfile.parse("// a comment\n" + quick));
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> ExperimentProfile.parse(quick.replace("\"n\":32,", "")));
    assertTrue(missing.getMessage().contains("'n'"), missing.getMessage());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> ExperimentProfile.parse(quick.replace("\"n\":32,", "\"n\":32,\"nn\":1,")));
    assertTrue(unknown.getMessage().contains("\"nn\""), unknown.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ExperimentProfile.parse(quick.replace("\"n\":32", "\"n\":0")));
  }

  @Test
  void unknownNameListsTheKnownOnes() {
    UserException e = assertThrows(UserException.class, () -> ExperimentProfile.named("medium"));
    assertTrue(e.getMessage().contains("mini, quick, full"), e.getMessage());
  }
}
