package dev.kagami.image;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

/** What the tests that start a server as a child process share: a free port, and killing it all at the end. */
final class ServerProcesses {
  private ServerProcesses() {}

  /** A loopback port free at the moment of asking. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Kills {@code p} and everything it started (a script's java, a namespace's server), then waits for it. */
  static void killAll(Process p) throws InterruptedException {
    p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    p.waitFor(30, TimeUnit.SECONDS);
  }
}
