package io.genrm4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.genrm4j.model.LlamaModel;
import java.util.List;

/** A training loss over a micro-batch of examples of type {@code E}; returns a scalar in the autograd graph. */
@FunctionalInterface
public interface Objective<E> {
  NDArray loss(LlamaModel model, List<E> batch, NDManager mgr);
}
