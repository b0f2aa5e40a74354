package io.genrm4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierScore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Best-of-N as a LangChain4j {@link ChatModel} decorator: each request is sent N times to the wrapped model, the N
 * answers are scored by a genrm4j {@link Verifier} (GenRM direct, or GenRM-CoT with its K votes: whatever the
 * verifier computes) against the last user message, and the best-scored answer is returned; its
 * {@link BestOfNMetadata} holds every candidate and score. Answers without text (empty completions) are not
 * candidates; none with text is an error. With {@link Builder#weightedVote} the answer is instead
 * the final answer whose candidates' scores sum highest (the verifier-weighted majority vote), returned as its
 * best-scored candidate.
 *
 * <pre>{@code ChatModel best = BestOfNChatModel.wrap(model, verifier, 8);}</pre>
 *
 * The wrapped model must sample (temperature > 0), or the N answers are one. Calls run on the caller's thread, one
 * after another; the verifier stays the caller's to close. A request that offers tools is refused: a tool call is
 * not an answer the verifier can score.
 */
public final class BestOfNChatModel implements ChatModel {
  private final ChatModel model;
  private final Verifier verifier;
  private final int n;
  private final Function<ChatRequest, String> question;
  private final Function<String, String> finalAnswer;

  private BestOfNChatModel(Builder b) {
    if (b.model == null || b.verifier == null) {
      throw new IllegalArgumentException("Best-of-N needs a model and a verifier");
    }
    if (b.n < 1) {
      throw new IllegalArgumentException("Best-of-N needs n >= 1 candidates, got " + b.n);
    }
    model = b.model;
    verifier = b.verifier;
    n = b.n;
    question = b.question;
    finalAnswer = b.finalAnswer;
  }

  /** {@code model} answering with the best of {@code n} of its answers, as {@code verifier} scores them. */
  public static BestOfNChatModel wrap(ChatModel model, Verifier verifier, int n) {
    return builder().model(model).verifier(verifier).n(n).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ChatResponse doChat(ChatRequest request) {
    if (request.toolSpecifications() != null && !request.toolSpecifications().isEmpty()) {
      throw new IllegalArgumentException("Best-of-N scores text answers: the request offers "
          + request.toolSpecifications().size() + " tools, and a tool call cannot be verified");
    }
    String q = question.apply(request);
    List<ChatResponse> responses = new ArrayList<>(n);
    List<String> texts = new ArrayList<>(n);
    List<TokenUsage> usage = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ChatResponse r = model.chat(request);
      usage.add(r.tokenUsage());
      AiMessage m = r.aiMessage();
      // An answer without text (an empty completion) is no candidate: failing the request for one of N would
      // throw away the other answers, and scoring "" would rank nothing.
      if (m.text() != null && !m.text().isBlank()) {
        responses.add(r);
        texts.add(m.text());
      }
    }
    if (texts.isEmpty()) {
      throw new IllegalStateException("Best-of-N: none of the " + n + " answers has text, nothing to verify");
    }
    List<VerifierScore> scores = verifier.score(q, texts);
    List<String> finals = finalAnswer == null ? null : texts.stream().map(finalAnswer).toList(); // nulls kept
    int chosen = chosen(scores.stream().mapToDouble(VerifierScore::score).toArray(), finals);
    ChatResponse best = responses.get(chosen);
    BestOfNMetadata metadata = BestOfNMetadata.builder().id(best.id()).modelName(best.modelName())
        .finishReason(best.finishReason()).tokenUsage(totalUsage(usage)).candidates(texts).answers(n)
        .verifierScores(scores).finalAnswers(finals).chosen(chosen).verifierKind(verifier.kind().id()).build();
    return ChatResponse.builder().aiMessage(best.aiMessage()).metadata(metadata).build();
  }

  /**
   * The candidate returned: the best-scored one; with final answers, the best-scored candidate of the answer whose
   * scores sum highest (candidates without an answer do not vote; none with one: the best-scored). Ties go to the
   * earlier candidate or the answer given first, so a seeded wrapped model gives a reproducible choice.
   */
  static int chosen(double[] scores, List<String> finalAnswers) {
    for (int i = 0; i < scores.length; i++) {
      if (!Double.isFinite(scores[i])) {
        throw new IllegalStateException("Best-of-N: the verifier scored candidate " + (i + 1) + " " + scores[i]);
      }
    }
    int best = 0;
    for (int i = 1; i < scores.length; i++) {
      best = scores[i] > scores[best] ? i : best;
    }
    if (finalAnswers == null) {
      return best;
    }
    Map<String, Double> totals = new LinkedHashMap<>();
    for (int i = 0; i < scores.length; i++) {
      if (finalAnswers.get(i) != null) {
        totals.merge(finalAnswers.get(i), scores[i], Double::sum);
      }
    }
    String winner = null;
    for (Map.Entry<String, Double> e : totals.entrySet()) {
      winner = winner == null || e.getValue() > totals.get(winner) ? e.getKey() : winner;
    }
    if (winner == null) {
      return best;
    }
    int out = -1;
    for (int i = 0; i < scores.length; i++) {
      if (winner.equals(finalAnswers.get(i)) && (out < 0 || scores[i] > scores[out])) {
        out = i;
      }
    }
    return out;
  }

  /** The token usage of all N generations (the verifier's tokens are in each {@link VerifierScore#tokens()}). */
  private static TokenUsage totalUsage(List<TokenUsage> usage) {
    TokenUsage total = null;
    for (TokenUsage u : usage) {
      total = TokenUsage.sum(total, u);
    }
    return total;
  }

  /** The text of the last user message: what the candidates answer, so the verifier's question. */
  static String lastUserText(ChatRequest request) {
    List<ChatMessage> messages = request.messages();
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i) instanceof UserMessage u) {
        if (!u.hasSingleText()) {
          throw new IllegalArgumentException("Best-of-N: the last user message is not a single text to verify "
              + "against (set the question with BestOfNChatModel.builder().question(...))");
        }
        return u.singleText();
      }
    }
    throw new IllegalArgumentException("Best-of-N: the request has no user message to verify the answers against");
  }

  // The wrapped model's own defaults and identity: the decorator changes which answer comes back, not the request.
  @Override
  public ChatRequestParameters defaultRequestParameters() {
    return model.defaultRequestParameters();
  }

  @Override
  public ModelProvider provider() {
    return model.provider();
  }

  @Override
  public Set<Capability> supportedCapabilities() {
    return model.supportedCapabilities();
  }

  public static final class Builder {
    private ChatModel model;
    private Verifier verifier;
    private int n = 1;
    private Function<ChatRequest, String> question = BestOfNChatModel::lastUserText;
    private Function<String, String> finalAnswer;

    private Builder() {}

    /** The model whose answers are sampled; it must sample (temperature > 0) for N answers to differ. */
    public Builder model(ChatModel m) {
      model = m;
      return this;
    }

    public Builder verifier(Verifier v) {
      verifier = v;
      return this;
    }

    /** Answers sampled per request (at least 1). */
    public Builder n(int count) {
      n = count;
      return this;
    }

    /** The verifier's question for a request; default: the text of its last user message. */
    public Builder question(Function<ChatRequest, String> q) {
      question = Objects.requireNonNull(q, "question");
      return this;
    }

    /**
     * Chooses by verifier-weighted majority vote over final answers, read from each candidate by {@code extractor}
     * (null: no answer), e.g. {@code Tasks.GSM8K::extractAnswer} for a number after "The answer is".
     */
    public Builder weightedVote(Function<String, String> extractor) {
      finalAnswer = Objects.requireNonNull(extractor, "extractor");
      return this;
    }

    public BestOfNChatModel build() {
      return new BestOfNChatModel(this);
    }
  }
}
