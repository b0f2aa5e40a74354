package io.genrm4j.serve;

import io.genrm4j.verify.Verifier;

/**
 * Opens the verifier for a mode and vote count. Called on the model thread only; the server caches each
 * (mode, votes) verifier and closes them on shutdown. Throw {@link ApiError} (400) for an unsupported mode.
 */
@FunctionalInterface
public interface VerifierFactory {
  Verifier open(String mode, int votes);
}
