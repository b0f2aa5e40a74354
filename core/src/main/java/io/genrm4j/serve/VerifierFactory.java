package io.genrm4j.serve;

import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierKind;

/**
 * Opens the verifier of a kind and vote count. Called on the model thread only; the server caches each
 * (kind, votes) verifier and closes them on shutdown. Throw {@link ApiError} (400) for a kind it cannot serve.
 */
@FunctionalInterface
public interface VerifierFactory {
  Verifier open(VerifierKind kind, int votes);
}
