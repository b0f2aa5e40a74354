package io.genrm4j.serve.client;

/** A failed call to an OpenAI-compatible server: the HTTP status (0 for I/O) and the server's error message. */
public class OpenAiException extends io.genrm4j.util.UserException {
  private final int status;

  public OpenAiException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
