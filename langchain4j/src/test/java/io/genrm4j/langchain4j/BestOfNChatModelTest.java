package io.genrm4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.task.Tasks;
import io.genrm4j.testing.TinyModels;
import io.genrm4j.verify.GenRmCot;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierScore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** Best-of-N over a real ChatModel (a tiny genrm4j generator) with a GenRM trained here, alone and in AiServices. */
class BestOfNChatModelTest {
  static final TinyModels models = TinyModels.shared();

  static ChatRequest ask(String question) {
    return ChatRequest.builder().messages(UserMessage.from(question)).build();
  }

  /** The wrapped model's first n responses from seed 7, asked directly. */
  static List<ChatResponse> plainResponses(int n) {
    GeneratorChatModel plain = new GeneratorChatModel(models.generator(), 7);
    List<ChatResponse> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(plain.chat(ask(TinyModels.QUESTION)));
    }
    return out;
  }

  static List<String> plainAnswers(int n) {
    return plainResponses(n).stream().map(r -> r.aiMessage().text()).toList();
  }

  @Test
  void returnsTheCandidateWithTheHighestVerifierScoreAndAllNScores() {
    Verifier v = models.verifier();
    ChatModel best = BestOfNChatModel.wrap(new GeneratorChatModel(models.generator(), 7), v, 8);
    ChatResponse r = best.chat(ask(TinyModels.QUESTION));
    BestOfNMetadata md = assertInstanceOf(BestOfNMetadata.class, r.metadata());
    List<ChatResponse> plainResponses = plainResponses(8);
    List<String> plain = plainResponses.stream().map(p -> p.aiMessage().text()).toList();
    assertEquals(plain, md.candidates(), "the candidates are the wrapped model's 8 answers");
    assertTrue(plain.stream().distinct().count() > 1, "the wrapped model samples: " + plain);
    List<Double> own = v.score(TinyModels.QUESTION, plain).stream().map(VerifierScore::score).toList();
    assertEquals(own, md.scores(), "the scores are the verifier's own");
    int argmax = own.indexOf(own.stream().max(Double::compare).orElseThrow());
    assertEquals(argmax, md.chosen());
    assertEquals(plain.get(argmax), r.aiMessage().text());
    assertEquals("genrm", md.verifierKind());
    assertEquals(8, md.answers());
    assertEquals(plainResponses.stream().mapToInt(p -> p.tokenUsage().outputTokenCount()).sum(),
        r.tokenUsage().outputTokenCount(), "the token usage of all 8 generations");
    assertEquals("tiny-test", r.modelName());
  }

  @Test
  void oneLineInAiServicesGivesTheBestAnswerWithItsScores() {
    interface Assistant {
      Result<String> answer(String question);
    }
    Assistant assistant = AiServices.create(Assistant.class,
        BestOfNChatModel.wrap(new GeneratorChatModel(models.generator(), 7), models.verifier(), 8));
    Result<String> r = assistant.answer(TinyModels.QUESTION);
    BestOfNMetadata md = assertInstanceOf(BestOfNMetadata.class, r.finalResponse().metadata());
    assertEquals(plainAnswers(8), md.candidates());
    assertEquals(md.candidates().get(md.chosen()), r.content());
    assertEquals(md.scores().stream().max(Double::compare).orElseThrow(), md.scores().get(md.chosen()));
  }

  @Test
  void genRmCotScoresEachCandidateByTheMeanOfItsKVotes() {
    Verifier cot = new GenRmCot(models.verifierModel, TinyModels.TOK, TinyModels.F, 3, SamplingParams.sample(6, 1.0, 0));
    ChatResponse r = BestOfNChatModel.wrap(new GeneratorChatModel(models.generator(), 7), cot, 4)
        .chat(ask(TinyModels.QUESTION));
    BestOfNMetadata md = (BestOfNMetadata) r.metadata();
    assertEquals("genrm-cot", md.verifierKind());
    for (VerifierScore s : md.verifierScores()) {
      assertEquals(3, s.votes().length);
      assertEquals(Arrays.stream(s.votes()).average().orElseThrow(), s.score(), 1e-9);
    }
    assertEquals(md.scores().stream().max(Double::compare).orElseThrow(), md.scores().get(md.chosen()));
  }

  @Test
  void weightedVoteReadsFinalAnswersWithTheTasksExtractor() {
    ChatResponse r = BestOfNChatModel.builder().model(new GeneratorChatModel(models.generator(), 7))
        .verifier(models.verifier()).n(8).weightedVote(Tasks.GSM8K::extractAnswer).build()
        .chat(ask(TinyModels.QUESTION));
    BestOfNMetadata md = (BestOfNMetadata) r.metadata();
    assertEquals(md.candidates().stream().map(Tasks.GSM8K::extractAnswer).toList(), md.finalAnswers());
    assertTrue(md.finalAnswers().stream().filter(Objects::nonNull).count() >= 2, "answers to vote on: " + md);
    assertEquals(BestOfNChatModel.chosen(md.scores().stream().mapToDouble(d -> d).toArray(), md.finalAnswers()),
        md.chosen());
  }

  @Test
  void theVoteOutweighsOneHighScoreAndFallsBackToTheBestScore() {
    double[] scores = {0.9, 0.6, 0.1, 0.65, 0.2};
    // B sums 1.25 > A 0.9: B's best-scored candidate (index 3) wins, not the single best (index 0)
    assertEquals(3, BestOfNChatModel.chosen(scores, Arrays.asList("A", "B", null, "B", "C")));
    assertEquals(0, BestOfNChatModel.chosen(scores, null), "no vote: the best score");
    assertEquals(0, BestOfNChatModel.chosen(scores, Arrays.asList(null, null, null, null, null)),
        "no candidate has an answer: the best score");
    assertEquals(0, BestOfNChatModel.chosen(new double[] {0.5, 0.5}, Arrays.asList("A", "B")), "ties: the first");
    assertThrows(IllegalStateException.class, () -> BestOfNChatModel.chosen(new double[] {0.5, Double.NaN}, null));
  }

  @Test
  void badInputIsAOneLineError() {
    GeneratorChatModel model = new GeneratorChatModel(models.generator(), 7);
    Verifier v = models.verifier();
    assertMessage("Best-of-N needs n >= 1 candidates, got 0",
        assertThrows(IllegalArgumentException.class, () -> BestOfNChatModel.wrap(model, v, 0)));
    assertMessage("Best-of-N needs a model and a verifier",
        assertThrows(IllegalArgumentException.class, () -> BestOfNChatModel.wrap(model, null, 4)));
    ChatModel best = BestOfNChatModel.wrap(model, v, 4);
    // real empty answers: the wrapped model may write no token
    assertMessage("Best-of-N: none of the 4 answers has text, nothing to verify", assertThrows(
        IllegalStateException.class, () -> best.chat(ask(TinyModels.QUESTION).toBuilder().maxOutputTokens(0).build())));
    assertMessage("Best-of-N: the request has no user message to verify the answers against",
        assertThrows(IllegalArgumentException.class,
            () -> best.chat(ChatRequest.builder().messages(SystemMessage.from("Be brief.")).build())));
    ToolSpecification tool = ToolSpecification.builder().name("lookup").build();
    assertMessage("Best-of-N scores text answers: the request offers 1 tools, and a tool call cannot be verified",
        assertThrows(IllegalArgumentException.class,
            () -> best.chat(ask(TinyModels.QUESTION).toBuilder().toolSpecifications(tool).build())));
  }

  static void assertMessage(String expected, Exception e) {
    assertEquals(expected, e.getMessage());
    assertTrue(!e.getMessage().contains("\n"));
  }
}
