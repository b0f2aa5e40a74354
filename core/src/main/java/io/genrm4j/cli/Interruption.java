package io.genrm4j.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.PrintStream;
import sun.misc.Signal;

/**
 * Ctrl-C (SIGINT) and SIGTERM end a command at once with one line. The JVM's own handling (and {@code Runtime.halt})
 * ends in libc's {@code exit}, which runs libtorch's static destructors while the main thread may still be inside a
 * libtorch operation: {@code bench train} stopped by SIGTERM died in native code with a JVM crash report
 * ({@code hs_err_pid*.log} in the working directory, exit 134) in 3 of 7 tries here (4 of 4 with {@code halt}), and
 * so did an experiment's training stage. {@code _exit} skips them (0 of 5). What each job guarantees on a kill stays:
 * completed files only (written aside and renamed), stages and checkpoints to resume from. {@code serve} keeps the
 * JVM's handling: its shutdown hook stops the server gracefully.
 */
final class Interruption {
  private Interruption() {}

  /** libc's {@code _exit}: ends the process without exit handlers. */
  interface LibC extends Library {
    void _exit(int status);
  }

  /** From now on SIGINT and SIGTERM print one line to {@code err} and end the process with 128 + the signal's number. */
  static void endOnSignal(PrintStream err) {
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        Signal.handle(new Signal(name), s -> stop(err, s));
      } catch (IllegalArgumentException e) { // a signal this platform or JVM keeps for itself: its handling stays
      }
    }
  }

  private static void stop(PrintStream err, Signal s) {
    err.println();
    err.println("genrm: stopped by SIG" + s.getName() + "; completed stages and checkpoints are kept (the same "
        + "command resumes an experiment, train --resume a training run)");
    err.flush();
    int status = 128 + s.getNumber();
    try {
      Native.load(Platform.C_LIBRARY_NAME, LibC.class)._exit(status);
    } catch (RuntimeException | LinkageError e) { // no libc to call: the JVM's way, exit handlers and all
      Runtime.getRuntime().halt(status);
    }
  }
}
