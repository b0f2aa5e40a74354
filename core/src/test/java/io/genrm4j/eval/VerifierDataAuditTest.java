package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.verify.VerifierData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerifierDataAuditTest {

  private static VerifierData.Labeled example(String letters, boolean correct) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < letters.length(); i++) {
      s.append("Name").append(letters.charAt(i)).append(" -> ").append(letters.charAt(i)).append(" -> ")
          .append(letters, 0, i + 1).append('\n');
    }
    s.append("The answer is ").append(letters).append('.');
    return new VerifierData.Labeled("Last letters: ...", s.toString(), correct, "");
  }

  /** Two- and three-letter answers with both labels, five-letter answers only labelled No: the leak. */
  private static List<VerifierData.Labeled> leaky() {
    List<VerifierData.Labeled> out = new ArrayList<>();
    out.add(example("ab", true));
    out.add(example("ab", false));
    out.add(example("abc", true));
    out.add(example("abc", false));
    out.add(example("abc", false));
    out.add(example("abcde", false));
    out.add(example("abcde", false));
    return out;
  }

  @Test
  void aSingleLabelLineAndAnswerLengthGroupIsReported() {
    VerifierDataAudit a = VerifierDataAudit.of(leaky());
    assertEquals(7, a.examples());
    assertEquals(new VerifierDataAudit.LabelCounts(1, 2), a.groupings().get(VerifierDataAudit.LINES_X_ANSWER_LENGTH)
        .get("3 x 3"));
    List<VerifierDataAudit.Group> joint = a.singleLabel().stream()
        .filter(g -> g.by().equals(VerifierDataAudit.LINES_X_ANSWER_LENGTH)).toList();
    assertEquals(List.of(new VerifierDataAudit.Group(VerifierDataAudit.LINES_X_ANSWER_LENGTH, "5 x 5",
        new VerifierDataAudit.LabelCounts(0, 2))), joint);
    assertTrue(a.singleLabel().contains(new VerifierDataAudit.Group(VerifierDataAudit.ANSWER_LENGTH, "5",
        new VerifierDataAudit.LabelCounts(0, 2))));
    assertTrue(a.singleLabel().contains(new VerifierDataAudit.Group(VerifierDataAudit.LINES, "5",
        new VerifierDataAudit.LabelCounts(0, 2))));
    assertEquals("[5 x 5]", a.toJson().get("single_label").findValuesAsText("group").stream()
        .filter(v -> v.contains(" x ")).toList().toString());
  }

  @Test
  void balancedDataHasNoSingleLabelLineAndAnswerLengthGroup() {
    List<VerifierData.Labeled> data = new ArrayList<>(leaky());
    data.add(example("abcde", true));
    VerifierDataAudit a = VerifierDataAudit.of(data);
    assertTrue(a.singleLabel().stream().noneMatch(g -> g.by().equals(VerifierDataAudit.LINES_X_ANSWER_LENGTH)),
        a.singleLabel().toString());
  }

  @Test
  void featuresOfASolution() {
    String s = "May -> y -> y\nVelez -> z -> yz\nThe answer is yz.";
    assertEquals(2, VerifierDataAudit.stepLines(s));
    assertEquals(2, VerifierDataAudit.answerLength(s));
    assertEquals(3, VerifierDataAudit.answerLength("apple\nThe answer is apple banana cherry."));
    assertEquals(-1, VerifierDataAudit.answerLength("May -> y -> y"));
    assertTrue(VerifierDataAudit.endsWithAnswer(s));
    assertTrue(!VerifierDataAudit.endsWithAnswer("The answer is y.\nMay -> y"));
  }
}
