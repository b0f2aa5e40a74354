package io.genrm4j.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.util.UserException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerifierKindTest {
  @Test
  void idsAreTheExperimentsMethodNamesInReportOrder() {
    // seed salts and file names of every run: these strings must never change
    assertEquals(List.of("orm", "genrm", "genrm-unified", "genrm-cot", "dpo", "llm-judge"),
        Arrays.stream(VerifierKind.values()).map(VerifierKind::id).toList());
  }

  @Test
  void parseTakesEveryIdAndEveryAlias() {
    Map<String, VerifierKind> table = Map.of("orm", VerifierKind.ORM, "genrm", VerifierKind.GENRM,
        "direct", VerifierKind.GENRM, "genrm-unified", VerifierKind.GENRM_UNIFIED, "genrm-cot", VerifierKind.GENRM_COT,
        "cot", VerifierKind.GENRM_COT, "dpo", VerifierKind.DPO, "llm-judge", VerifierKind.LLM_JUDGE,
        "judge", VerifierKind.LLM_JUDGE);
    table.forEach((name, kind) -> assertEquals(kind, VerifierKind.parse(name), name));
    assertEquals(table.size(), VerifierKind.names().size());
    assertTrue(VerifierKind.names().containsAll(table.keySet()));
    for (VerifierKind k : VerifierKind.values()) {
      assertEquals(k, VerifierKind.of(k.id()));
    }
    assertThrows(IllegalArgumentException.class, () -> VerifierKind.of("direct"), "an alias is not an id");
  }

  @Test
  void anUnknownNameIsAUserErrorListingEveryAcceptedName() {
    UserException e = assertThrows(UserException.class, () -> VerifierKind.parse("Direct"));
    assertEquals("unknown verifier kind 'Direct' (one of orm, genrm, direct, genrm-unified, genrm-cot, cot, dpo,"
        + " llm-judge, judge)", e.getMessage());
  }

  @Test
  void eachKindKnowsWhatItNeeds() {
    for (VerifierKind k : VerifierKind.values()) {
      assertEquals(k != VerifierKind.LLM_JUDGE, k.trained(), k.id());
      assertEquals(k == VerifierKind.GENRM_COT || k == VerifierKind.LLM_JUDGE, k.samplesVotes(), k.id());
      assertEquals(k != VerifierKind.DPO, k.probabilityScores(), k.id());
      assertEquals(k == VerifierKind.DPO, k.needsReference(), k.id());
      assertEquals(k == VerifierKind.ORM, k.hasScoreHead(), k.id());
    }
    assertFalse(VerifierKind.LLM_JUDGE.trained());
    assertThrows(UserException.class, () -> VerifierRecipe.requireTrainable(VerifierKind.LLM_JUDGE));
  }
}
