package io.genrm4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import java.util.List;

/**
 * A real LangChain4j {@link ChatModel} over a genrm4j {@link Generator}: the last user message is the prompt, each
 * call samples with the next seed (so N calls give N answers, and a new instance with the same first seed gives the
 * same N), at the request's temperature and token limit when it sets them.
 */
final class GeneratorChatModel implements ChatModel {
  private final Generator generator;
  private long nextSeed;

  GeneratorChatModel(Generator generator, long firstSeed) {
    this.generator = generator;
    this.nextSeed = firstSeed;
  }

  @Override
  public synchronized ChatResponse doChat(ChatRequest request) {
    String prompt = BestOfNChatModel.lastUserText(request);
    int maxTokens = request.maxOutputTokens() != null ? request.maxOutputTokens() : 12;
    double temperature = request.temperature() != null ? request.temperature() : 1.0;
    Generation g = generator.generate(List.of(prompt), SamplingParams.sample(maxTokens, temperature, nextSeed++))
        .get(0);
    return ChatResponse.builder().aiMessage(AiMessage.from(g.text())).modelName("tiny-test")
        .tokenUsage(new TokenUsage(generator.promptIds(prompt).length, g.tokens().length))
        .finishReason(g.finishReason().equals("length") ? FinishReason.LENGTH : FinishReason.STOP).build();
  }
}
