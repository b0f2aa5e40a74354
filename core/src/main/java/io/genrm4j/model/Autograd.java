package io.genrm4j.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's autograd switch, which is per thread. Two facts make this class necessary: DJL's gradient collector
 * allows one collector per process (a static flag), which rules out two trainings at once in one JVM; and PyTorch's
 * grad mode is on in every new thread, while DJL turns it off only on the thread that loads the engine, so a model
 * run from another thread records graphs (and {@link LlamaModel} keeps every layer's intermediates) unless the thread
 * calls {@link #offInThisThread()} first.
 */
public final class Autograd {
  static {
    Engine.getInstance(); // loads the native library that JniUtils calls into
  }

  private Autograd() {}

  /** Stops recording on the calling thread: the first call of a new thread that runs models. */
  public static void offInThisThread() {
    JniUtils.setGradMode(false);
  }

  /** Whether the calling thread records operations for backward. */
  public static boolean recording() {
    return JniUtils.isGradMode();
  }

  /**
   * Records on the calling thread until closed; then the thread stops recording, whatever it did before (nothing
   * here records outside a recording, and a thread that did not load the engine would otherwise go on recording:
   * in-place optimizer updates of parameters then fail).
   */
  public static Recording record() {
    return new Recording();
  }

  /** A span of recording on one thread (DJL's collector without its one-per-process limit). */
  public static final class Recording implements AutoCloseable {
    private Recording() {
      JniUtils.setGradMode(true);
    }

    /**
     * Adds d(loss)/d(param) to the gradient of every parameter that requires one. The seed gradient lives in the
     * loss's manager, as in DJL's collector.
     */
    public void backward(NDArray loss) {
      JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
    }

    @Override
    public void close() {
      JniUtils.setGradMode(false);
    }
  }
}
