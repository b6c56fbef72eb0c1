package dlcourse.kernel;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * Runs snippets in this JVM and keeps each snippet's result object, so renderers get the real value.
 *
 * <p>JShell passes values between engine and front end as strings. This control instead returns a
 * key for each invocation and keeps the object under that key until {@link #take} removes it. User
 * code runs on a fresh thread per snippet, which {@link #stop()} can stop.
 */
final class KeepingExecutionControl extends LocalExecutionControl {

  private static final String KEY_PREFIX = "dlcourse-result#";

  private final Map<String, Object> results = new ConcurrentHashMap<>();
  private final AtomicLong counter = new AtomicLong();
  private volatile Thread running;
  private volatile boolean stopped;
  private volatile Throwable lastUserThrowable;
  private volatile long stopRequestedAt;
  private volatile boolean abandoned;
  /** How long a cell may go on catching stops before its thread is left behind. */
  private static final long ABANDON_AFTER_NANOS = 5_000_000_000L;
  private volatile boolean keepVarValue;

  /** Returns and forgets the object kept under {@code key}; {@code key} may be any JShell value string. */
  Object take(String key) {
    return key == null ? null : results.remove(key);
  }

  /** Returns true if {@code value} is a key made by this control. */
  static boolean isKey(String value) {
    return value != null && value.startsWith(KEY_PREFIX);
  }

  /** Forgets every kept object (values of snippets that nobody asked for). */
  void clearResults() {
    results.clear();
  }

  /** Returns the exception thrown by the last snippet (the real object, with its cause chain), or null. */
  Throwable lastUserThrowable() {
    return lastUserThrowable;
  }

  /** Returns true if the last invocation was stopped by {@link #stop()}. */
  boolean wasStopped() {
    return stopped;
  }

  /** Returns true while user code runs. */
  boolean busy() {
    return running != null;
  }

  /**
   * Runs {@code call} (a {@code JShell.varValue}) so that the variable's object is kept: the call returns its key
   * for {@link #take}, not JShell's display string.
   */
  String keepingVarValue(java.util.function.Supplier<String> call) {
    keepVarValue = true;
    try {
      return call.get();
    } finally {
      keepVarValue = false;
    }
  }

  @Override
  public String varValue(String className, String varName)
      throws RunException, EngineTerminationException, InternalException {
    if (!keepVarValue) {
      return super.varValue(className, varName);
    }
    try {
      java.lang.reflect.Field field = findClass(className).getDeclaredField(varName);
      field.setAccessible(true);
      Object value = field.get(null);
      String key = KEY_PREFIX + counter.incrementAndGet();
      if (value != null) {
        results.put(key, value);
      }
      return key;
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new InternalException("cannot read " + className + "." + varName + ": " + e);
    }
  }

  @Override
  public void load(ClassBytecodes[] classes)
      throws ClassInstallException, NotImplementedException, EngineTerminationException {
    super.load(withoutExits(classes));
  }

  @Override
  public void redefine(ClassBytecodes[] classes)
      throws ClassInstallException, NotImplementedException, EngineTerminationException {
    super.redefine(withoutExits(classes));
  }

  /** The cells' classes with their exit calls refused ({@link CellExitGuard}). */
  private static ClassBytecodes[] withoutExits(ClassBytecodes[] classes) {
    ClassBytecodes[] out = new ClassBytecodes[classes.length];
    for (int i = 0; i < classes.length; i++) {
      out[i] = new ClassBytecodes(classes[i].name(), CellExitGuard.rewrite(classes[i].bytecodes()));
    }
    return out;
  }

  @Override
  protected String invoke(Method doitMethod) throws Exception {
    Object[] result = new Object[1];
    boolean[] returned = new boolean[1];
    Throwable[] failure = new Throwable[1];
    stopped = false;
    lastUserThrowable = null;
    Thread thread = new Thread(() -> {
      try {
        result[0] = doitMethod.invoke(null);
        returned[0] = true;
      } catch (Throwable t) {
        if (outOfMemory(t)) {
          // first, before anything else allocates: the compiler and the protocol threads need the room
          HeapReserve.release();
        }
        failure[0] = t;
      }
    }, "dlcourse-cell");
    thread.setContextClassLoader(doitMethod.getDeclaringClass().getClassLoader());
    thread.setDaemon(true);
    running = thread;
    stopRequestedAt = 0;
    abandoned = false;
    try {
      thread.start();
      long lastStop = 0;
      while (thread.isAlive()) {
        thread.join(100);
        long at = stopRequestedAt;
        long now = System.nanoTime();
        if (thread.isAlive() && at != 0) {
          if (now - at > ABANDON_AFTER_NANOS) {
            // The cell catches the stop (catch Throwable around everything): leave its thread behind so
            // the kernel answers and runs the next cells.
            abandoned = true;
            break;
          }
          // again, every 100 ms: a stop may not land in a compiled loop, and one the cell caught may land
          // outside its try block the next time
          if (now - Math.max(at, lastStop) > 100_000_000L) {
            lastStop = now;
            stopThread(thread);
          }
        }
      }
    } finally {
      running = null;
    }
    if (abandoned) {
      stopped = true;
      throw new ExecutionControl.StoppedException();
    }
    Throwable t = failure[0];
    // a second stop may land in the handler of the first: the thread then ends with neither result nor failure
    boolean stoppedSilently = t == null && !returned[0] && stopRequestedAt != 0;
    if (stoppedSilently || t instanceof InvocationTargetException && t.getCause() instanceof ThreadDeath
        || t instanceof ThreadDeath) {
      stopped = true;
      throw new ExecutionControl.StoppedException();
    }
    if (t instanceof InvocationTargetException) {
      lastUserThrowable = t.getCause();
      throw (InvocationTargetException) t;
    }
    if (t instanceof Exception) {
      throw (Exception) t;
    }
    if (t != null) {
      throw new InvocationTargetException(t);
    }
    String key = KEY_PREFIX + counter.incrementAndGet();
    if (result[0] != null) {
      results.put(key, result[0]);
    }
    return key;
  }

  private static boolean outOfMemory(Throwable t) {
    for (int depth = 0; t != null && depth < 8; t = t.getCause(), depth++) {
      if (t instanceof OutOfMemoryError) {
        return true;
      }
    }
    return false;
  }

  /** Returns true if the last invocation ignored every stop for 5 s and was left running in the background. */
  boolean wasAbandoned() {
    return abandoned;
  }

  @Override
  public void stop() {
    Thread t = running;
    if (t != null) {
      stopRequestedAt = System.nanoTime();
      stopThread(t);
    }
  }

  @SuppressWarnings({"deprecation", "removal"})
  private static void stopThread(Thread t) {
    try {
      // Thread.stop is the only way to end code that never checks for interrupts; it works up to
      // JDK 19 and throws UnsupportedOperationException from JDK 20 on.
      t.stop();
    } catch (UnsupportedOperationException e) {
      t.interrupt();
    }
  }

  /** Makes a {@link KeepingExecutionControl} for {@code JShell.builder().executionEngine(...)}. */
  static final class Provider implements ExecutionControlProvider {
    private volatile KeepingExecutionControl last;

    @Override
    public String name() {
      return "dlcourse-keeping";
    }

    @Override
    public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
      last = new KeepingExecutionControl();
      return last;
    }

    KeepingExecutionControl last() {
      return last;
    }
  }
}
