package dlcourse.kernel;

import java.lang.reflect.Field;

import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.channels.JupyterSocket;
import org.dflib.jjava.jupyter.channels.Loop;
import org.dflib.jjava.jupyter.channels.ShellChannel;
import org.dflib.jjava.jupyter.channels.ShellHandler;
import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.messages.HMACGenerator;
import org.dflib.jjava.jupyter.messages.Message;
import org.zeromq.ZMQ;

/**
 * A shell or control channel that handles a request as soon as it arrives.
 *
 * <p>jjava's {@link ShellChannel} checks its socket without waiting and then sleeps 50 ms after every round, so
 * each request (an execute, a kernel_info, a completion) waited 25 ms on average and up to 50 ms before the kernel
 * read it. This channel waits on the socket itself ({@value #POLL_MILLIS} ms at a time, so that a shutdown is seen)
 * and handles a request the moment it comes; an idle kernel still uses no CPU. The handling is jjava's own.
 */
final class PromptShellChannel extends ShellChannel {

  /** How long one wait on the socket lasts; bounds how late the loop sees a shutdown. */
  static final long POLL_MILLIS = 100;

  private final boolean isControl;
  private final JupyterConnection connection;
  private volatile Loop loop;

  private PromptShellChannel(ZMQ.Context ctx, HMACGenerator hmac, boolean isControl, JupyterConnection connection) {
    super(ctx, hmac, isControl, connection);
    this.isControl = isControl;
    this.connection = connection;
  }

  /**
   * Replaces the shell and control channels of a connection that is not yet connected by prompt ones; the
   * replaced channels were never bound and are closed.
   */
  static void install(JupyterConnection connection) {
    for (String name : new String[] {"shell", "control"}) {
      ShellChannel old = (ShellChannel) get(JupyterConnection.class, connection, name);
      ZMQ.Context ctx = (ZMQ.Context) get(JupyterSocket.class, old, "ctx");
      HMACGenerator hmac = (HMACGenerator) get(JupyterSocket.class, old, "hmacGenerator");
      set(connection, name, new PromptShellChannel(ctx, hmac, name.equals("control"), connection));
      old.close();
    }
  }

  private static Object get(Class<?> owner, Object target, String name) {
    try {
      Field f = owner.getDeclaredField(name);
      f.setAccessible(true);
      return f.get(target);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("jjava's " + owner.getSimpleName() + "." + name + " is not available", e);
    }
  }

  private static void set(JupyterConnection connection, String name, Object value) {
    try {
      Field f = JupyterConnection.class.getDeclaredField(name);
      f.setAccessible(true);
      f.set(connection, value);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("jjava's JupyterConnection." + name + " is not available", e);
    }
  }

  @Override
  public void bind(KernelConnectionProperties props) {
    if (loop != null) {
      throw new IllegalStateException("Shell channel already bound");
    }
    String address = formatAddress(props.getTransport(), props.getIp(),
        isControl ? props.getControlPort() : props.getShellPort());
    bind(address);
    ZMQ.Poller poller = ctx.poller(1);
    poller.register(this, ZMQ.Poller.POLLIN);
    // Loop's body returns how long to sleep after each round: 0, the wait happens in poll.
    loop = new Loop(isControl ? "dlcourse-control" : "dlcourse-shell", 0, () -> {
      if (poller.poll(POLL_MILLIS) > 0) {
        handle(readMessage());
      }
    });
    loop.start();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void handle(Message message) {
    ShellHandler handler = connection.getHandler(message.getHeader().getType());
    if (handler == null) {
      logger.warn("Unhandled message: {}", message.getHeader().getType().getName());
      return;
    }
    ShellReplyEnvironment env = connection.prepareReplyEnv(this, message);
    try {
      handler.handle(env, message);
    } catch (Exception e) {
      logger.warn("Unhandled exception handling {}. {} - {}", message.getHeader().getType().getName(),
          e.getClass().getSimpleName(), e.getLocalizedMessage());
    } finally {
      env.resolveDeferrals();
    }
    if (env.isMarkedForShutdown()) {
      connection.close();
    }
  }

  @Override
  public void close() {
    Loop l = loop;
    if (l != null) {
      l.shutdown();
      // A ZeroMQ socket must not be closed while another thread polls it: let the loop leave its wait first
      // (a shutdown request is handled on a loop thread, which is not polling then).
      if (Thread.currentThread() != l) {
        try {
          l.join(2 * POLL_MILLIS + 1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    super.close();
  }

  @Override
  public void waitUntilClose() {
    Loop l = loop;
    if (l != null) {
      try {
        l.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
