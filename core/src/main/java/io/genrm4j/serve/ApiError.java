package io.genrm4j.serve;

/**
 * An error answered as JSON {@code {"error":{"message","type","code","request_id"}}} with an HTTP status; never a
 * stack trace. A 5xx may carry the fault that caused it, for the one log line the server writes.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String type;

  public ApiError(int status, String type, String message) {
    super(message);
    this.status = status;
    this.type = type;
  }

  /** A server fault: {@code cause} goes to the log, never to the client. */
  public ApiError(int status, String type, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.type = type;
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, "invalid_request_error", message);
  }

  /** The queue is full: 503 with Retry-After, so a client knows a retry is safe. */
  public static ApiError overloaded(String message) {
    return new ApiError(503, "server_overloaded", message);
  }
}
