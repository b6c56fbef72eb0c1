package dlcourse.kernel;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import dlcourse.display.Display;
import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.BaseKernelBuilder;
import org.dflib.jjava.jupyter.kernel.HelpLink;
import org.dflib.jjava.jupyter.kernel.JupyterIO;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.messages.ContentType;
import org.dflib.jjava.jupyter.messages.Header;
import org.dflib.jjava.jupyter.messages.MessageType;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.reply.HistoryReply;
import org.dflib.jjava.jupyter.messages.reply.KernelInfoReply;
import org.dflib.jjava.jupyter.messages.request.HistoryRequest;
import org.dflib.jjava.jupyter.messages.request.KernelInfoRequest;
import org.dflib.jjava.jupyter.messages.publish.PublishClearOutput;
import org.dflib.jjava.jupyter.messages.publish.PublishError;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteInput;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteResult;
import org.dflib.jjava.jupyter.messages.reply.ErrorReply;
import org.dflib.jjava.jupyter.messages.reply.ExecuteReply;
import org.dflib.jjava.jupyter.messages.request.ExecuteRequest;

/**
 * The Jupyter kernel: jjava's protocol handling with an in-process JShell evaluator.
 *
 * <p>The kernel answers kernel_info before anything else runs: JShell and ND4J's native backend start on
 * background threads after the first kernel_info reply (or {@link #START_AFTER_MILLIS} after the kernel connects, or
 * at the first request that needs them), so on a two-core machine they do not compete with the reply for the CPU.
 * The first execute request waits for them.
 */
public final class DlKernel extends BaseKernel {

  /** The kernelspec name. */
  public static final String NAME = "dlcourse-java";
  /** The kernel's version. */
  public static final String VERSION = "0.1.0";

  /** When the evaluator starts if no kernel_info request (nor any other request that needs it) came first. */
  static final long START_AFTER_MILLIS = 2000;

  private final CompletableFuture<CellExecutor> executor = new CompletableFuture<>();
  private final java.util.concurrent.atomic.AtomicBoolean starting = new java.util.concurrent.atomic.AtomicBoolean();
  private final History history = new History();
  private volatile ShellReplyEnvironment currentEnv;

  private final CoalescingOutputStream outCoalescer;
  private final CoalescingOutputStream errCoalescer;
  private final java.io.PrintStream cellOut;
  private final java.io.PrintStream cellErr;

  private DlKernel(JupyterIO io, CommManager comms, Renderer renderer, MagicsRegistry magics, StringStyler styler) {
    super(NAME, VERSION,
        new LanguageInfo("java", Runtime.version().toString(), "text/x-java-source", ".jshell", "java", "java",
            "script"),
        List.of(new HelpLink("Java API", "https://docs.oracle.com/en/java/javase/17/docs/api/index.html")),
        null, io, comms, renderer, null, magics, true, styler);
    this.outCoalescer = new CoalescingOutputStream(io.out, CoalescingOutputStream.DEFAULT_MAX_CELL_BYTES);
    this.errCoalescer = new CoalescingOutputStream(io.err, CoalescingOutputStream.DEFAULT_MAX_CELL_BYTES);
    // No autoflush: a println must not become a message of its own (the coalescer decides when to send).
    this.cellOut = new java.io.PrintStream(outCoalescer, false, java.nio.charset.StandardCharsets.UTF_8);
    this.cellErr = new java.io.PrintStream(errCoalescer, false, java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Starts ND4J's native backend and JShell on background threads, once; returns at once. Called after the first
   * kernel_info reply, by the first request that needs JShell, and by a timer {@link #START_AFTER_MILLIS} after
   * {@link #startEvaluatorLater()}.
   */
  void startEvaluator() {
    if (!starting.compareAndSet(false, true)) {
      return;
    }
    JShellSession.prepareNativeMemory();
    Thread t = new Thread(() -> {
      try {
        executor.complete(startExecutor());
      } catch (Throwable e) {
        executor.completeExceptionally(e);
      }
    }, "dlcourse-jshell-start");
    t.setDaemon(true);
    t.start();
  }

  /** Starts the evaluator {@link #START_AFTER_MILLIS} from now unless a request started it before. */
  void startEvaluatorLater() {
    Thread timer = new Thread(() -> {
      try {
        Thread.sleep(START_AFTER_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      startEvaluator();
    }, "dlcourse-start-timer");
    timer.setDaemon(true);
    timer.start();
  }

  /** Creates a kernel; call {@link #onStartup()} before connecting it. */
  public static DlKernel create() {
    return new Builder().build();
  }

  private CellExecutor startExecutor() {
    CellExecutor ex = new CellExecutor(JShellSession.start(), getRenderer(), true);
    ex.sink(new KernelSink()).onClasspathAdded(this::classpathAdded);
    Display.backend(ex.backend());
    return ex;
  }

  private void classpathAdded(List<Path> paths) {
    if (!paths.isEmpty()) {
      installExtensions(paths.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator)));
    }
  }

  private CellExecutor executor() {
    startEvaluator();
    try {
      return executor.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while JShell was starting", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("JShell failed to start: " + e.getCause(), e.getCause());
    }
  }

  @Override
  public HistoryManager getHistoryManager() {
    return history;
  }

  @Override
  public Object evalRaw(String source) {
    try {
      return executor().execute(source).value();
    } catch (CellError e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  @Override
  protected synchronized void handleExecuteRequest(ShellReplyEnvironment env, Message<ExecuteRequest> message) {
    commManager.setMessageContext(message);
    ExecuteRequest request = message.getContent();
    int count = executionCount.getAndIncrement();
    env.setBusyDeferIdle();
    env.publish(new PublishExecuteInput(request.getCode(), count));
    replaceOutputStreams(env);
    System.setOut(cellOut);
    System.setErr(cellErr);
    ioEnv("setEnv", env);
    env.defer(() -> ioEnv("retractEnv", env));
    currentEnv = env;
    String outputText = null;
    executing = true;
    try {
      CellExecutor.Outcome outcome = executor().execute(request.getCode());
      endCellOutput();
      if (outcome.data() != null) {
        env.publish(new PublishExecuteResult(count, outcome.data()));
        Object text = Renderers.data(outcome.data()).get("text/plain");
        outputText = text == null ? null : text.toString();
      }
      env.defer().reply(new ExecuteReply(count, Collections.emptyMap()));
    } catch (CellError e) {
      replyError(env, count, e.ename(), e.evalue(), e.traceback());
    } catch (RuntimeException e) {
      replyError(env, count, e.getClass().getName(), String.valueOf(e.getMessage()), formatError(e));
    } finally {
      executing = false;
      currentEnv = null;
      if (request.shouldStoreHistory()) {
        history.add(count, request.getCode(), outputText);
      }
    }
  }

  /** JupyterIO's protected setEnv/retractEnv, looked up once. */
  private static final java.util.Map<String, java.lang.reflect.Method> IO_ENV =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Calls JupyterIO's protected setEnv/retractEnv, which BaseKernel's own execute handler uses. */
  private void ioEnv(String method, ShellReplyEnvironment env) {
    try {
      java.lang.reflect.Method m = IO_ENV.get(method);
      if (m == null) {
        m = JupyterIO.class.getDeclaredMethod(method, ShellReplyEnvironment.class);
        m.setAccessible(true);
        IO_ENV.put(method, m);
      }
      m.invoke(io, env);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("jjava's JupyterIO." + method + " is not available", e);
    }
  }

  /** jjava's kernel_info_reply lacks {@code status: ok}, which the protocol requires. */
  static final class KernelInfoOk extends KernelInfoReply {
    @SuppressWarnings("unused")
    private final String status = "ok";

    KernelInfoOk(KernelInfoReply r) {
      super(r.getProtocolVersion(), r.getImplementationName(), r.getImplementationVersion(), r.getLangInfo(),
          r.getBanner(), r.getHelpLinks());
    }
  }

  /** A history_reply with {@code status: ok} (jjava's lacks it) and entries as protocol tuples. */
  static final class HistoryOk implements ContentType<HistoryOk> {
    @SuppressWarnings("unused")
    private final String status = "ok";
    @SuppressWarnings("unused")
    private final List<List<Object>> history = new ArrayList<>();

    HistoryOk(List<HistoryEntry> entries) {
      for (HistoryEntry e : entries) {
        history.add(List.of(e.getSession(), e.getCellNumber(),
            e.hasOutput() ? List.of(e.getInput(), e.getOutput()) : e.getInput()));
      }
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public MessageType<HistoryOk> getType() {
      return (MessageType) HistoryReply.MESSAGE_TYPE;
    }
  }

  @Override
  protected void handleKernelInfoRequest(ShellReplyEnvironment env, Message<KernelInfoRequest> message) {
    env.setBusyDeferIdle();
    env.reply(new KernelInfoOk(new KernelInfoReply(Header.PROTOCOL_VERISON, name, version, getLanguageInfo(),
        getBanner(), getHelpLinks())));
    startEvaluator(); // the reply is out: now JShell and ND4J may have the CPU
  }

  @Override
  protected void handleHistoryRequest(ShellReplyEnvironment env, Message<HistoryRequest> message) {
    HistoryRequest request = message.getContent();
    env.setBusyDeferIdle();
    Set<HistoryManager.ResultFlag> flags = java.util.EnumSet.noneOf(HistoryManager.ResultFlag.class);
    if (request.includeOutput()) {
      flags.add(HistoryManager.ResultFlag.INCLUDE_OUTPUT);
    }
    List<HistoryEntry> entries;
    switch (request.getAccessType()) {
      case RANGE :
        HistoryRequest.Range range = (HistoryRequest.Range) request;
        entries = history.lookupRange(range.getSessionIndex(), range.getStart(), range.getStop(), flags);
        break;
      case SEARCH :
        HistoryRequest.Search search = (HistoryRequest.Search) request;
        if (search.filterUnique()) {
          flags.add(HistoryManager.ResultFlag.UNIQUE);
        }
        entries = history.search(search.getPattern(), search.getMaxReturnLength(), flags);
        break;
      default :
        entries = history.lookupTail(((HistoryRequest.Tail) request).getMaxReturnLength(), flags);
    }
    env.reply(new HistoryOk(entries));
  }

  private void replyError(ShellReplyEnvironment env, int count, String ename, String evalue, List<String> traceback) {
    endCellOutput();
    env.publish(new PublishError(ename, evalue, traceback));
    ErrorReply reply = new ErrorReply(ename, evalue, traceback);
    reply.setExecutionCount(count);
    env.defer().replyError(ExecuteReply.MESSAGE_TYPE.error(), reply);
  }

  private void flush() {
    cellOut.flush();
    cellErr.flush();
    try {
      outCoalescer.flush();
      errCoalescer.flush();
    } catch (java.io.IOException e) {
      // the streams below report a lost client themselves
    }
    io.out.flush();
    io.err.flush();
  }

  /** Sends the cell's last output and any note of output that was cut; called before the reply. */
  private void endCellOutput() {
    cellOut.flush();
    cellErr.flush();
    try {
      outCoalescer.endCell();
      errCoalescer.endCell();
    } catch (java.io.IOException e) {
      // as in flush()
    }
    io.out.flush();
    io.err.flush();
  }

  @Override
  public DisplayData inspect(String code, int at, boolean extraDetail) {
    String doc = executor().session().inspect(code, Math.min(at, code.length()));
    return doc == null ? null : new DisplayData(doc);
  }

  @Override
  public ReplacementOptions complete(String code, int at) {
    JShellSession.Completion c = executor().session().complete(code, Math.min(at, code.length()));
    return new ReplacementOptions(c.matches(), c.start(), c.end());
  }

  @Override
  public String isComplete(String code) {
    String r = executor().session().isComplete(code);
    return r.equals("complete") ? IS_COMPLETE_YES : r.equals("invalid") ? IS_COMPLETE_BAD : r;
  }

  /** Whether a cell is running (or waiting for JShell to start); interrupts of an idle kernel are ignored. */
  private volatile boolean executing;

  @Override
  public void interrupt() {
    if (!executing) {
      return;
    }
    if (executor.isDone()) {
      executor().session().interrupt();
    } else {
      Display.requestInterrupt();
    }
  }

  @Override
  public void onShutdown(boolean isRestarting) {
    super.onShutdown(isRestarting);
    if (executor.isDone()) {
      executor().close();
    }
  }

  private final class KernelSink implements CellExecutor.Sink {
    @Override
    public void display(DisplayData data, Object source) {
      flush();
      io.display.display(data);
    }

    @Override
    public void updateDisplay(String displayId, DisplayData data, Object source) {
      flush();
      io.display.updateDisplay(displayId, data);
    }

    @Override
    public void clearOutput() {
      ShellReplyEnvironment env = currentEnv;
      if (env != null) {
        flush();
        env.publish(PublishClearOutput.NOW);
      }
    }
  }

  /** Cell history of this kernel's session, for history requests. */
  static final class History implements HistoryManager {
    private final List<HistoryEntry> entries = Collections.synchronizedList(new ArrayList<>());

    void add(int cell, String input, String output) {
      entries.add(new HistoryEntry(1, cell, input, output));
    }

    private List<HistoryEntry> project(List<HistoryEntry> list, Set<ResultFlag> flags) {
      boolean withOutput = flags.contains(ResultFlag.INCLUDE_OUTPUT);
      List<HistoryEntry> out = new ArrayList<>();
      Set<String> seen = new java.util.HashSet<>();
      for (HistoryEntry e : list) {
        if (flags.contains(ResultFlag.UNIQUE) && !seen.add(e.getInput())) {
          continue;
        }
        out.add(withOutput ? new HistoryEntry(e.getSession(), e.getCellNumber(), e.getInput(),
            e.getOutput() == null ? "" : e.getOutput())
            : new HistoryEntry(e.getSession(), e.getCellNumber(), e.getInput(), null));
      }
      return out;
    }

    @Override
    public List<HistoryEntry> lookupRange(int session, int start, int stop, Set<ResultFlag> flags) {
      List<HistoryEntry> snapshot = List.copyOf(entries);
      return project(snapshot.stream().filter(e -> e.getCellNumber() >= start && (stop <= 0 || e
          .getCellNumber() < stop))
          .collect(Collectors.toList()), flags);
    }

    @Override
    public List<HistoryEntry> lookupTail(int length, Set<ResultFlag> flags) {
      List<HistoryEntry> snapshot = List.copyOf(entries);
      int n = Math.max(0, Math.min(length, snapshot.size()));
      return project(snapshot.subList(snapshot.size() - n, snapshot.size()), flags);
    }

    @Override
    public List<HistoryEntry> search(String pattern, int length, Set<ResultFlag> flags) {
      String regex = "\\Q" + pattern.replace("*", "\\E.*\\Q").replace("?", "\\E.\\Q") + "\\E";
      List<HistoryEntry> matches = List.copyOf(entries).stream().filter(e -> e.getInput().matches("(?s)" + regex))
          .collect(Collectors.toList());
      int n = length <= 0 ? matches.size() : Math.min(length, matches.size());
      return project(matches.subList(matches.size() - n, matches.size()), flags);
    }
  }

  private static final class Builder extends BaseKernelBuilder<Builder, DlKernel> {
    @Override
    public DlKernel build() {
      jupyterIOEncoding(StandardCharsets.UTF_8);
      return new DlKernel(buildJupyterIO(buildJupyterIOEncoding()), buildCommManager(), buildRenderer(),
          buildMagicsRegistry(), buildErrorStyler());
    }
  }
}
