package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.model.Autograd;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stage scheduler: stages without a dependency overlap, a stage waits for what it needs, failures stop it. */
class StagesTest {
  @TempDir Path tmp;

  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

  @Test
  void independentStagesRunAtOnceAndAStageWaitsForWhatItNeeds() {
    Stages st = new Stages(new RunDir(tmp), err);
    CountDownLatch bothStarted = new CountDownLatch(2);
    ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    Stages.Body meetsTheOther = p -> {
      bothStarted.countDown();
      // with one worker at a time this would time out: a and b must be running together
      assertTrue(bothStarted.await(20, TimeUnit.SECONDS), "a and b never ran at the same time");
    };
    st.run(List.of(
        new Stages.Planned("a", List.of(), p -> {
          meetsTheOther.run(p);
          Thread.sleep(100);
          events.add("a done");
        }),
        new Stages.Planned("b", List.of(), p -> {
          meetsTheOther.run(p);
          events.add("b done");
        }),
        new Stages.Planned("c", List.of("a", "b"), p -> events.add(Autograd.recording() ? "c recording" : "c"))), 2);
    // and c's worker thread, like the main thread, does not record for autograd (PyTorch's default in a new thread)
    assertEquals(List.of("b done", "a done", "c"), List.copyOf(events), "c ran after a and b");
    assertEquals(List.of("a", "b", "c"), st.records().stream().map(Stages.Record::name).toList(), "plan order");
    assertTrue(st.records().stream().allMatch(Stages.Record::ran));
    for (String s : List.of("a", "b", "c")) {
      assertTrue(st.done(s), s);
    }

    Stages again = new Stages(new RunDir(tmp), err);
    again.run(List.of(new Stages.Planned("a", List.of(), p -> {
      throw new AssertionError("a finished stage is not redone");
    })), 2);
    assertFalse(again.records().get(0).ran());
  }

  @Test
  void aFailureStopsNewStagesAndIsRethrownAfterTheRunningOnesFinish() {
    Stages st = new Stages(new RunDir(tmp), err);
    CountDownLatch slowStarted = new CountDownLatch(1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> st.run(List.of(
        new Stages.Planned("slow", List.of(), p -> {
          slowStarted.countDown();
          Thread.sleep(300);
        }),
        new Stages.Planned("fails", List.of(), p -> {
          assertTrue(slowStarted.await(20, TimeUnit.SECONDS));
          throw new IllegalStateException("boom");
        }),
        new Stages.Planned("after", List.of("fails"), p -> { }),
        new Stages.Planned("later", List.of("slow"), p -> { })), 2));
    assertEquals("boom", e.getMessage());
    assertTrue(st.done("slow"), "the running stage finished and kept its marker");
    assertFalse(st.done("fails"));
    assertFalse(st.done("after"), "what needs the failed stage never starts");
    assertFalse(st.done("later"), "nothing new starts after a failure");
    assertEquals(List.of("slow"), st.records().stream().map(Stages.Record::name).toList());
    assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("stage fails failed; waiting for slow to finish"));
  }

  @Test
  void aStageThatNeedsAnUnknownStageIsRejectedBeforeAnythingRuns() throws Exception {
    Stages st = new Stages(new RunDir(tmp), err);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> st.run(List.of(
        new Stages.Planned("x", List.of(), p -> { }),
        new Stages.Planned("y", List.of("nope"), p -> { })), 2));
    assertTrue(e.getMessage().contains("y needs nope"), e.getMessage());
    assertFalse(st.done("x"));
    Files.writeString(new RunDir(tmp).stageMarker("nope"), "{}");
    st.run(List.of(new Stages.Planned("y", List.of("nope"), p -> { })), 2);
    assertTrue(st.done("y"), "a need that is already done counts");
  }
}
