package io.genrm4j.verify;

import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Prompts;
import io.genrm4j.train.Losses;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Training entry points of every verifier kind; each trains the given model in place. */
public final class VerifierTrainer {
  private VerifierTrainer() {}

  /** Next-token SFT on token examples (generator, GenRM direct / CoT / unified mixtures). */
  public static Trainer.Result sft(LlamaModel m, Tokenizer tok, List<TokenExample> data, TrainConfig cfg,
      Consumer<Trainer.StepLog> log) {
    return sft(m, tok, data, cfg, log, s -> false);
  }

  /** As above, ending after the first step for which {@code stopAfter} is true. */
  public static Trainer.Result sft(LlamaModel m, Tokenizer tok, List<TokenExample> data, TrainConfig cfg,
      Consumer<Trainer.StepLog> log, java.util.function.Predicate<Trainer.StepLog> stopAfter) {
    return Trainer.train(m, null, data, Losses.sft(Math.max(0, tok.padId())), cfg, null, false, log,
        e -> e.ids().length, stopAfter);
  }

  /** Discriminative RM: BCE on the score head, classes balanced by repeating the smaller one. */
  public static Trainer.Result orm(LlamaModel m, Tokenizer tok, Prompts.Format f, List<VerifierData.Labeled> data,
      TrainConfig cfg, Consumer<Trainer.StepLog> log) {
    return orm(m, tok, f, data, cfg, log, s -> false);
  }

  /** As above, ending after the first step for which {@code stopAfter} is true. */
  public static Trainer.Result orm(LlamaModel m, Tokenizer tok, Prompts.Format f, List<VerifierData.Labeled> data,
      TrainConfig cfg, Consumer<Trainer.StepLog> log, java.util.function.Predicate<Trainer.StepLog> stopAfter) {
    List<Losses.LabeledSequence> seqs = VerifierData.orm(tok, f, data);
    List<Losses.LabeledSequence> pos = new ArrayList<>();
    List<Losses.LabeledSequence> neg = new ArrayList<>();
    seqs.forEach(s -> (s.correct() ? pos : neg).add(s));
    if (pos.isEmpty() || neg.isEmpty()) {
      throw new IllegalArgumentException("ORM training needs both correct and incorrect solutions");
    }
    List<Losses.LabeledSequence> balanced = new ArrayList<>();
    int n = Math.max(pos.size(), neg.size());
    for (int i = 0; i < n; i++) {
      balanced.add(pos.get(i % pos.size()));
      balanced.add(neg.get(i % neg.size()));
    }
    return Trainer.train(m, null, balanced, Losses.bce(Math.max(0, tok.padId())), cfg, null, false, log,
        s -> s.ids().length, stopAfter);
  }

  /**
   * DPO on (correct, incorrect) pairs of the same question (each correct solution paired with incorrect ones
   * round-robin, at most 16 pairs per question) against a frozen copy of the model's initial weights, whose
   * log-probabilities are computed once up front.
   */
  public static Trainer.Result dpo(LlamaModel m, Tokenizer tok, Prompts.Format f, List<VerifierData.Labeled> data,
      double beta, TrainConfig cfg, Consumer<Trainer.StepLog> log) {
    Map<String, List<VerifierData.Labeled>> good = new LinkedHashMap<>();
    Map<String, List<VerifierData.Labeled>> bad = new LinkedHashMap<>();
    for (VerifierData.Labeled l : data) {
      (l.correct() ? good : bad).computeIfAbsent(l.question(), k -> new ArrayList<>()).add(l);
    }
    List<VerifierData.Labeled> chosen = new ArrayList<>();
    List<VerifierData.Labeled> rejected = new ArrayList<>();
    for (Map.Entry<String, List<VerifierData.Labeled>> e : good.entrySet()) {
      List<VerifierData.Labeled> b = bad.get(e.getKey());
      if (b == null) {
        continue;
      }
      int pairs = Math.min(16, Math.max(e.getValue().size(), b.size()));
      for (int i = 0; i < pairs; i++) {
        chosen.add(e.getValue().get(i % e.getValue().size()));
        rejected.add(b.get(i % b.size()));
      }
    }
    if (chosen.isEmpty()) {
      throw new IllegalArgumentException("DPO needs questions with both correct and incorrect solutions");
    }
    List<TokenExample> c = VerifierData.solutionSft(tok, f, chosen, 1f);
    List<TokenExample> r = VerifierData.solutionSft(tok, f, rejected, 1f);
    float[] refC;
    float[] refR;
    try (LlamaModel ref = m.copy()) {
      refC = DpoVerifier.sequenceLogProbs(ref, c);
      refR = DpoVerifier.sequenceLogProbs(ref, r);
    }
    List<Losses.PreferencePair> pairs = new ArrayList<>();
    for (int i = 0; i < c.size(); i++) {
      pairs.add(new Losses.PreferencePair(c.get(i), r.get(i), refC[i], refR[i]));
    }
    return Trainer.train(m, null, pairs, Losses.dpo(Math.max(0, tok.padId()), beta), cfg, null, false, log,
        p -> p.chosen().ids().length + p.rejected().ids().length);
  }
}
