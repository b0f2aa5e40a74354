package io.genrm4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Our DJL decoder against a straightforward double-precision Java transcription of Hugging Face's LlamaModel /
 * Qwen2Model / Qwen3Model / Phi3Model / GemmaModel / Gemma2Model forward (rotate_half RoPE with the Llama 3 frequency rule,
 * repeat_kv, RMSNorm in float64 (Gemma: x (1 + w)), Qwen3's per-head q/k norm, SwiGLU or tanh-GELU GeGLU, Gemma2's
 * soft-capping, query_pre_attn_scalar, sandwich norms and sliding window on even layers), on tiny random configs.
 */
class ReferenceForwardTest {

  @Test
  void logitsMatchTheReferenceImplementation() {
    for (ModelConfig cfg : new ModelConfig[] {LlamaModelTest.GQA, LlamaModelTest.QWEN, LlamaModelTest.LLAMA3,
        LlamaModelTest.QWEN3, LlamaModelTest.GEMMA, LlamaModelTest.GEMMA2, LlamaModelTest.PHI3}) {
      try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(cfg, 11, root);
          NDManager mgr = root.newSubManager()) {
        { // random biases and q/k norm gains so they are exercised
          java.util.SplittableRandom r = new java.util.SplittableRandom(5);
          for (Map.Entry<String, ai.djl.ndarray.NDArray> e : m.parameters().entrySet()) {
            if (e.getKey().endsWith(".bias") || e.getKey().endsWith("norm.weight")) {
              float[] b = new float[(int) e.getValue().size()];
              for (int i = 0; i < b.length; i++) {
                // gains near 1 (Gemma stores gain - 1: near 0)
                b[i] = (float) (r.nextDouble() - 0.5 + (e.getKey().endsWith("norm.weight") && !cfg.gemma() ? 1 : 0));
              }
              e.getValue().set(b);
            }
          }
        }
        // N(0, 0.02) weights leave attention nearly uniform, so the logits barely feel RoPE: the frequencies
        // themselves are compared as well
        assertArrayEquals(invFreq(cfg), cfg.inverseFrequencies(), 1e-12, cfg.modelType() + " rotary frequencies");
        long[] ids = {3, 17, 4, 4, 30, 1, 8, 9, 2, 12, 5, 5, 21, 36, 0, 7, 19, 3, 3, 11};
        float[] ours = LlamaModelTest.logits(m, mgr, ids);
        double[] ref = reference(cfg, m, ids);
        double max = 0;
        for (int i = 0; i < ref.length; i++) {
          max = Math.max(max, Math.abs(ours[i] - ref[i]));
        }
        assertTrue(max < 1e-4, cfg.modelType() + ": max abs diff " + max);
      }
    }
  }

  static double[] w(LlamaModel m, String name) {
    float[] f = m.parameters().get(name).toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** y = W x (+ b) with W [out, in]. */
  static double[] linear(double[] wt, double[] b, double[] x, int out) {
    int in = x.length;
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double s = b == null ? 0 : b[o];
      for (int i = 0; i < in; i++) {
        s += wt[o * in + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  static double[] rms(double[] x, double[] g, double eps) {
    double ms = 0;
    for (double v : x) {
      ms += v * v;
    }
    ms /= x.length;
    double inv = 1 / Math.sqrt(ms + eps);
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * inv * g[i];
    }
    return y;
  }

  /**
   * HF's inv_freq: theta^(-2j/hd), then for rope_type llama3 (_compute_llama3_parameters) wavelengths above
   * original/low_freq_factor divided by factor, below original/high_freq_factor kept, and between them
   * (1 - s) * f / factor + s * f with s = (original / wavelen - low) / (high - low).
   */
  static double[] invFreq(ModelConfig c) {
    int hd = c.headDim();
    double[] f = new double[hd / 2];
    ModelConfig.RopeScaling r = c.ropeScaling();
    for (int j = 0; j < f.length; j++) {
      double base = 1.0 / Math.pow(c.ropeTheta(), (2.0 * j) / hd);
      f[j] = base;
      if (r.type().equals("llama3")) {
        double wavelen = 2 * Math.PI / base;
        double lowWavelen = r.originalMaxPositions() / r.lowFreqFactor();
        double highWavelen = r.originalMaxPositions() / r.highFreqFactor();
        double scaled = wavelen > lowWavelen ? base / r.factor() : base;
        double s = (r.originalMaxPositions() / wavelen - r.lowFreqFactor()) / (r.highFreqFactor() - r.lowFreqFactor());
        boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
        f[j] = medium ? (1 - s) * scaled / r.factor() + s * scaled : scaled;
      }
    }
    return f;
  }

  /** HF apply_rotary_pos_emb on one head vector at position p. */
  static double[] rope(double[] x, int off, int hd, int p, double[] invFreq) {
    double[] y = new double[hd];
    for (int i = 0; i < hd; i++) {
      int j = i % (hd / 2);
      double ang = p * invFreq[j];
      double rot = i < hd / 2 ? -x[off + i + hd / 2] : x[off + i - hd / 2];
      y[i] = x[off + i] * Math.cos(ang) + rot * Math.sin(ang);
    }
    return y;
  }

  /** LlamaRMSNorm (x / rms * w) or GemmaRMSNorm (x / rms * (1 + w)). */
  static double[] norm(ModelConfig c, double[] x, double[] g) {
    if (!c.modelType().startsWith("gemma")) {
      return rms(x, g, c.rmsNormEps());
    }
    double[] onePlus = new double[g.length];
    for (int i = 0; i < g.length; i++) {
      onePlus[i] = 1 + g[i];
    }
    return rms(x, onePlus, c.rmsNormEps());
  }

  static double[] perHeadRms(double[] x, double[] g, int hd, double eps) {
    double[] y = new double[x.length];
    for (int off = 0; off < x.length; off += hd) {
      double[] head = rms(java.util.Arrays.copyOfRange(x, off, off + hd), g, eps);
      System.arraycopy(head, 0, y, off, hd);
    }
    return y;
  }

  static double[] reference(ModelConfig c, LlamaModel m, long[] ids) {
    int t = ids.length;
    int d = c.hiddenSize();
    int h = c.numAttentionHeads();
    int kvh = c.numKeyValueHeads();
    int hd = c.headDim();
    double[] freq = invFreq(c);
    double[] emb = w(m, "model.embed_tokens.weight");
    double[][] x = new double[t][d];
    boolean gemma = c.modelType().startsWith("gemma");
    boolean gemma2 = c.modelType().equals("gemma2");
    for (int i = 0; i < t; i++) {
      System.arraycopy(emb, (int) ids[i] * d, x[i], 0, d);
      for (int z = 0; z < d && gemma; z++) {
        x[i][z] *= (float) Math.sqrt(d); // GemmaModel: normalizer = tensor(hidden_size ** 0.5, dtype=float32)
      }
    }
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".";
      double[][] q = new double[t][];
      double[][] k = new double[t][];
      double[][] v = new double[t][];
      for (int i = 0; i < t; i++) {
        double[] hn = norm(c, x[i], w(m, p + "input_layernorm.weight"));
        q[i] = linear(w(m, p + "self_attn.q_proj.weight"), c.qkvBias() ? w(m, p + "self_attn.q_proj.bias") : null, hn, h * hd);
        k[i] = linear(w(m, p + "self_attn.k_proj.weight"), c.qkvBias() ? w(m, p + "self_attn.k_proj.bias") : null, hn, kvh * hd);
        v[i] = linear(w(m, p + "self_attn.v_proj.weight"), c.qkvBias() ? w(m, p + "self_attn.v_proj.bias") : null, hn, kvh * hd);
        if (c.modelType().equals("qwen3")) { // Qwen3Attention: q_norm / k_norm over each head, before RoPE
          q[i] = perHeadRms(q[i], w(m, p + "self_attn.q_norm.weight"), hd, c.rmsNormEps());
          k[i] = perHeadRms(k[i], w(m, p + "self_attn.k_norm.weight"), hd, c.rmsNormEps());
        }
      }
      double[][] attnOut = new double[t][h * hd];
      // Gemma2DecoderLayer: is_sliding = not layer_idx % 2; key j is masked when j <= i - sliding_window
      // Phi3 (as Mistral): the window on every layer
      int window = gemma2 && l % 2 == 0 || c.modelType().equals("phi3") ? c.slidingWindow() : Integer.MAX_VALUE;
      double scaling = gemma2 ? Math.pow(c.queryPreAttnScalar(), -0.5) : 1 / Math.sqrt(hd);
      for (int head = 0; head < h; head++) {
        int kvHead = head / (h / kvh); // repeat_kv
        for (int i = 0; i < t; i++) {
          double[] qi = rope(q[i], head * hd, hd, i, freq);
          double[] s = new double[i + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            if (j <= i - window) {
              s[j] = Double.NEGATIVE_INFINITY;
              continue;
            }
            double[] kj = rope(k[j], kvHead * hd, hd, j, freq);
            double dot = 0;
            for (int z = 0; z < hd; z++) {
              dot += qi[z] * kj[z];
            }
            s[j] = dot * scaling;
            if (gemma2 && c.attnLogitSoftcapping() > 0) {
              s[j] = Math.tanh(s[j] / c.attnLogitSoftcapping()) * c.attnLogitSoftcapping();
            }
            max = Math.max(max, s[j]);
          }
          double sum = 0;
          for (int j = 0; j <= i; j++) {
            s[j] = Math.exp(s[j] - max);
            sum += s[j];
          }
          for (int j = 0; j <= i; j++) {
            for (int z = 0; z < hd; z++) {
              attnOut[i][head * hd + z] += s[j] / sum * v[j][kvHead * hd + z];
            }
          }
        }
      }
      for (int i = 0; i < t; i++) {
        double[] o = linear(w(m, p + "self_attn.o_proj.weight"), null, attnOut[i], d);
        if (gemma2) { // Gemma2: post_attention_layernorm on the attention output, before the residual add
          o = norm(c, o, w(m, p + "post_attention_layernorm.weight"));
        }
        for (int z = 0; z < d; z++) {
          x[i][z] += o[z];
        }
        double[] hn = norm(c, x[i], w(m, p + (gemma2 ? "pre_feedforward_layernorm" : "post_attention_layernorm")
            + ".weight"));
        double[] g = linear(w(m, p + "mlp.gate_proj.weight"), null, hn, c.intermediateSize());
        double[] u = linear(w(m, p + "mlp.up_proj.weight"), null, hn, c.intermediateSize());
        for (int z = 0; z < g.length; z++) {
          double act = gemma // gelu_pytorch_tanh
              ? 0.5 * g[z] * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g[z] + 0.044715 * Math.pow(g[z], 3))))
              : g[z] / (1 + Math.exp(-g[z]));
          g[z] = act * u[z];
        }
        double[] dn = linear(w(m, p + "mlp.down_proj.weight"), null, g, d);
        if (gemma2) {
          dn = norm(c, dn, w(m, p + "post_feedforward_layernorm.weight"));
        }
        for (int z = 0; z < d; z++) {
          x[i][z] += dn[z];
        }
      }
    }
    double[] head = c.tieWordEmbeddings() ? emb : w(m, "lm_head.weight");
    double[] out = new double[t * c.vocabSize()];
    for (int i = 0; i < t; i++) {
      double[] hn = norm(c, x[i], w(m, "model.norm.weight"));
      double[] lg = linear(head, null, hn, c.vocabSize());
      for (int z = 0; z < lg.length && gemma2 && c.finalLogitSoftcapping() > 0; z++) {
        lg[z] = Math.tanh(lg[z] / c.finalLogitSoftcapping()) * c.finalLogitSoftcapping();
      }
      System.arraycopy(lg, 0, out, i * c.vocabSize(), lg.length);
    }
    return out;
  }
}
