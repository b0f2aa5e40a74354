package io.genrm4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with decoupled weight decay applied only to matrices (norm gains and biases are not decayed) and global-norm
 * gradient clipping. DJL's built-in optimizer decays every parameter and clips per element, hence this one. Its
 * state (first and second moments) is plain tensors by parameter name, so a run can be saved and resumed.
 *
 * <p>Updates run outside any gradient collector, in place on the parameters; every temporary goes to a per-step
 * manager that is closed at the end of the step.
 */
public final class AdamW {
  private final Map<String, NDArray> params;
  private final NDManager stateManager;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private long step;

  public AdamW(Map<String, NDArray> params, NDManager parent, double beta1, double beta2, double eps,
      double weightDecay) {
    this.params = params;
    this.stateManager = parent.newSubManager();
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      m.put(e.getKey(), stateManager.zeros(e.getValue().getShape()));
      v.put(e.getKey(), stateManager.zeros(e.getValue().getShape()));
    }
  }

  /** Whether a parameter is decayed: matrices yes, vectors (norm gains, biases) no. */
  public static boolean decays(String name, NDArray p) {
    return p.getShape().dimension() >= 2;
  }

  /** The L2 norm over all gradients together. */
  public double gradNorm() {
    try (NDManager tmp = stateManager.newSubManager()) {
      NDArray total = tmp.zeros(new ai.djl.ndarray.types.Shape());
      for (NDArray p : params.values()) {
        try (NDArray g = p.getGradient()) {
          g.attach(tmp); // so that square() and sum() land in tmp, not in the parameter's manager
          total = total.add(g.square().sum());
        }
      }
      return Math.sqrt(total.getFloat());
    }
  }

  /**
   * One update at learning rate {@code lr}; gradients are scaled so their global norm is at most {@code clipNorm}
   * (when positive), then zeroed for the next accumulation.
   *
   * @return the global gradient norm before clipping
   */
  public double step(double lr, double clipNorm) {
    double norm = gradNorm();
    if (!Double.isFinite(norm)) {
      throw new IllegalStateException("gradient norm is " + norm + " at step " + (step + 1));
    }
    double scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1.0;
    step++;
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2 = 1 - Math.pow(beta2, step);
    try (NDManager tmp = stateManager.newSubManager()) {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray p = e.getValue();
        NDArray mt = m.get(e.getKey());
        NDArray vt = v.get(e.getKey());
        try (NDArray g = p.getGradient()) {
          g.attach(tmp);
          // m = b1 m + (1-b1) s g ; v = b2 v + (1-b2) s^2 g^2   (s: clipping scale)
          mt.muli(beta1).addi(g.mul((1 - beta1) * scale));
          vt.muli(beta2).addi(g.square().muli((1 - beta2) * scale * scale));
          if (weightDecay > 0 && decays(e.getKey(), p)) {
            p.muli(1 - lr * weightDecay);
          }
          // vt.div / mt.div would land in the long-lived state manager (first operand's): move them to tmp.
          NDArray vhat = vt.div(bc2);
          vhat.attach(tmp);
          NDArray denom = vhat.sqrt().addi(eps);
          NDArray update = mt.div(denom);
          update.attach(tmp);
          p.subi(update.muli(lr / bc1));
          g.subi(g); // zero for the next accumulation
        }
      }
    }
    return norm;
  }

  public long stepCount() {
    return step;
  }

  /** Moments by name ({@code m.<param>}, {@code v.<param>}) for checkpointing. */
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    m.forEach((k, a) -> out.put("m." + k, a));
    v.forEach((k, a) -> out.put("v." + k, a));
    return out;
  }

  /** Restores moments and the step count saved by {@link #state()}. */
  public void restore(Map<String, float[]> state, long stepCount) {
    for (Map.Entry<String, NDArray> e : state().entrySet()) {
      float[] data = state.get(e.getKey());
      if (data == null || data.length != e.getValue().size()) {
        throw new IllegalArgumentException("optimizer state lacks or mis-sizes '" + e.getKey() + "'");
      }
      e.getValue().set(data);
    }
    this.step = stepCount;
  }

  public void close() {
    stateManager.close();
  }
}
