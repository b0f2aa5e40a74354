package io.genrm4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.util.UserException;
import java.util.List;
import org.junit.jupiter.api.Test;

class PresetsTest {
  /**
   * Every field of every preset (vocabulary 50) as it was when presets were positional constructors (f73aa1f); the
   * fields added for Llama 3 scaling and Gemma2/Mistral (8e3e59e, fac1061) at their "none" values.
   */
  @Test
  void presetsAreUnchanged() {
    assertPinned("test", """
        ModelConfig[modelType=llama, vocabSize=50, hiddenSize=32, intermediateSize=64, numHiddenLayers=2, numAttentionHeads=4, numKeyValueHeads=2, headDim=8, rmsNormEps=1.0E-5, ropeTheta=10000.0, ropeScaling=RopeScaling[type=default, factor=1.0, lowFreqFactor=0.0, highFreqFactor=0.0, originalMaxPositions=0], maxPositionEmbeddings=1024, slidingWindow=0, queryPreAttnScalar=0.0, attnLogitSoftcapping=0.0, finalLogitSoftcapping=0.0, tieWordEmbeddings=true, attentionBias=false, numLabels=0, bosTokenId=-1, eosTokenId=-1, padTokenId=-1]""");
    assertPinned("tiny", """
        ModelConfig[modelType=llama, vocabSize=50, hiddenSize=64, intermediateSize=176, numHiddenLayers=3, numAttentionHeads=4, numKeyValueHeads=2, headDim=16, rmsNormEps=1.0E-5, ropeTheta=10000.0, ropeScaling=RopeScaling[type=default, factor=1.0, lowFreqFactor=0.0, highFreqFactor=0.0, originalMaxPositions=0], maxPositionEmbeddings=1024, slidingWindow=0, queryPreAttnScalar=0.0, attnLogitSoftcapping=0.0, finalLogitSoftcapping=0.0, tieWordEmbeddings=true, attentionBias=false, numLabels=0, bosTokenId=-1, eosTokenId=-1, padTokenId=-1]""");
    assertPinned("small", """
        ModelConfig[modelType=llama, vocabSize=50, hiddenSize=128, intermediateSize=352, numHiddenLayers=4, numAttentionHeads=4, numKeyValueHeads=2, headDim=32, rmsNormEps=1.0E-5, ropeTheta=10000.0, ropeScaling=RopeScaling[type=default, factor=1.0, lowFreqFactor=0.0, highFreqFactor=0.0, originalMaxPositions=0], maxPositionEmbeddings=1024, slidingWindow=0, queryPreAttnScalar=0.0, attnLogitSoftcapping=0.0, finalLogitSoftcapping=0.0, tieWordEmbeddings=true, attentionBias=false, numLabels=0, bosTokenId=-1, eosTokenId=-1, padTokenId=-1]""");
    assertPinned("base", """
        ModelConfig[modelType=llama, vocabSize=50, hiddenSize=256, intermediateSize=704, numHiddenLayers=8, numAttentionHeads=8, numKeyValueHeads=4, headDim=32, rmsNormEps=1.0E-5, ropeTheta=10000.0, ropeScaling=RopeScaling[type=default, factor=1.0, lowFreqFactor=0.0, highFreqFactor=0.0, originalMaxPositions=0], maxPositionEmbeddings=1024, slidingWindow=0, queryPreAttnScalar=0.0, attnLogitSoftcapping=0.0, finalLogitSoftcapping=0.0, tieWordEmbeddings=true, attentionBias=false, numLabels=0, bosTokenId=-1, eosTokenId=-1, padTokenId=-1]""");
    assertPinned("medium", """
        ModelConfig[modelType=llama, vocabSize=50, hiddenSize=384, intermediateSize=1024, numHiddenLayers=8, numAttentionHeads=6, numKeyValueHeads=2, headDim=64, rmsNormEps=1.0E-5, ropeTheta=10000.0, ropeScaling=RopeScaling[type=default, factor=1.0, lowFreqFactor=0.0, highFreqFactor=0.0, originalMaxPositions=0], maxPositionEmbeddings=1024, slidingWindow=0, queryPreAttnScalar=0.0, attnLogitSoftcapping=0.0, finalLogitSoftcapping=0.0, tieWordEmbeddings=true, attentionBias=false, numLabels=0, bosTokenId=-1, eosTokenId=-1, padTokenId=-1]""");
    assertPinned("large", """
        ModelConfig[modelType=llama, vocabSize=50, hiddenSize=512, intermediateSize=1408, numHiddenLayers=8, numAttentionHeads=8, numKeyValueHeads=4, headDim=64, rmsNormEps=1.0E-5, ropeTheta=10000.0, ropeScaling=RopeScaling[type=default, factor=1.0, lowFreqFactor=0.0, highFreqFactor=0.0, originalMaxPositions=0], maxPositionEmbeddings=1024, slidingWindow=0, queryPreAttnScalar=0.0, attnLogitSoftcapping=0.0, finalLogitSoftcapping=0.0, tieWordEmbeddings=true, attentionBias=false, numLabels=0, bosTokenId=-1, eosTokenId=-1, padTokenId=-1]""");
    assertEquals(List.of("test", "tiny", "small", "base", "medium", "large"), List.copyOf(Presets.describe().keySet()));
  }

  private static void assertPinned(String name, String config) {
    assertEquals(config, Presets.get(name, 50).toString(), name);
  }

  @Test
  void unknownPresetListsTheKnownOnes() {
    UserException e = assertThrows(UserException.class, () -> Presets.get("huge", 50));
    assertTrue(e.getMessage().contains("test, tiny, small, base, medium, large"), e.getMessage());
  }

  @Test
  void builderDefaultsAndChecks() {
    ModelConfig mha = ModelConfig.builder().vocabSize(10).hiddenSize(32).intermediateSize(64).numHiddenLayers(1)
        .numAttentionHeads(4).build();
    assertEquals(4, mha.numKeyValueHeads(), "key/value heads default to the attention heads");
    assertEquals(8, mha.headDim(), "head_dim defaults to hidden / heads");
    assertEquals(mha, mha.toBuilder().build());
    assertThrows(IllegalArgumentException.class, () -> mha.toBuilder().numKeyValueHeads(3).build());
    assertThrows(IllegalArgumentException.class, () -> ModelConfig.builder().hiddenSize(32).build());
  }
}
