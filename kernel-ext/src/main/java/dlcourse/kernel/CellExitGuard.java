package dlcourse.kernel;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Keeps a cell from ending the JVM it runs in: {@code System.exit}, {@code Runtime.exit} and {@code Runtime.halt}
 * called in a cell (also through a lambda or a method reference written there) fail with a clear error, and the
 * session, its variables and the runner's outputs survive. The kernel rewrites each compiled cell class before
 * it is loaded, sending those calls here. Exits from the kernel's own code (shutdown requests, the runner's exit
 * status) are untouched; a library that calls {@code System.exit} itself still can.
 *
 * <p>The same rewrite makes each catch block of a cell that could catch an {@link OutOfMemoryError} ({@code catch}
 * of {@code OutOfMemoryError}, {@code VirtualMachineError}, {@code Error} or {@code Throwable}) call {@link
 * HeapReserve#caughtInCell} first, so a cell ends at its first full heap instead of holding it full ({@link
 * HeapReserve}).
 *
 * <p>Public because the rewritten cell classes, in JShell's class loader, call it.
 */
public final class CellExitGuard {
  private static final String SELF = CellExitGuard.class.getName().replace('.', '/');
  private static final String HEAP_RESERVE = HeapReserve.class.getName().replace('.', '/');
  /** The catch types that an {@link OutOfMemoryError} can land in. */
  private static final java.util.Set<String> CATCHES_OUT_OF_MEMORY = java.util.Set.of("java/lang/OutOfMemoryError",
      "java/lang/VirtualMachineError", "java/lang/Error", "java/lang/Throwable");

  private CellExitGuard() {}

  /** Replaces {@code System.exit(status)} in cells. */
  public static void exit(int status) {
    throw refused("System.exit(" + status + ")");
  }

  /** Replaces {@code runtime.exit(status)} in cells. */
  public static void runtimeExit(Runtime runtime, int status) {
    throw refused("Runtime.exit(" + status + ")");
  }

  /** Replaces {@code runtime.halt(status)} in cells. */
  public static void runtimeHalt(Runtime runtime, int status) {
    throw refused("Runtime.halt(" + status + ")");
  }

  private static SecurityException refused(String call) {
    return new SecurityException(call + " was refused: a cell runs inside the kernel, and ending its JVM would lose"
        + " every variable and output. To stop a cell, throw an exception or return.");
  }

  /**
   * The class file with every exit call sent to this class and {@link HeapReserve#caughtInCell} first in every catch
   * block that could catch an {@link OutOfMemoryError}; the same bytes when it has neither.
   */
  static byte[] rewrite(byte[] classFile) {
    ClassReader reader = new ClassReader(classFile);
    ClassWriter writer = new ClassWriter(reader, 0);
    boolean[] changed = {false};
    reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String desc, String signature, String[] exceptions) {
        return new MethodVisitor(Opcodes.ASM9, super.visitMethod(access, name, desc, signature, exceptions)) {
          /** Handlers of catch blocks that could catch an OutOfMemoryError (a multi-catch lists one several times). */
          private final java.util.Set<Label> oomHandlers = new java.util.HashSet<>();
          /** True from such a handler's label to its stack map frame. */
          private boolean atOomHandler;

          @Override
          public void visitTryCatchBlock(Label start, Label end, Label handler, String type) {
            if (type != null && CATCHES_OUT_OF_MEMORY.contains(type)) {
              oomHandlers.add(handler);
            }
            super.visitTryCatchBlock(start, end, handler, type);
          }

          @Override
          public void visitLabel(Label label) {
            super.visitLabel(label);
            if (oomHandlers.contains(label)) {
              atOomHandler = true;
            }
          }

          /**
           * After the stack map frame that starts each handler (JVMS 4.10.1; JShell's class files always carry them),
           * before its first instruction: the caught throwable is on the stack; pass a copy to the hook.
           */
          @Override
          public void visitFrame(int type, int numLocal, Object[] local, int numStack, Object[] stack) {
            super.visitFrame(type, numLocal, local, numStack, stack);
            if (atOomHandler) {
              atOomHandler = false;
              changed[0] = true;
              super.visitInsn(Opcodes.DUP);
              super.visitMethodInsn(Opcodes.INVOKESTATIC, HEAP_RESERVE, "caughtInCell", "(Ljava/lang/Throwable;)V",
                  false);
            }
          }

          @Override
          public void visitMaxs(int maxStack, int maxLocals) {
            // one more slot for the copy of the caught throwable
            super.visitMaxs(oomHandlers.isEmpty() ? maxStack : Math.max(maxStack, 2), maxLocals);
          }

          @Override
          public void visitMethodInsn(int opcode, String owner, String method, String d, boolean itf) {
            String target = target(owner, method, d);
            if (target != null) {
              changed[0] = true;
              // the same stack effect: (int) for System.exit, (Runtime, int) for the instance methods
              super.visitMethodInsn(Opcodes.INVOKESTATIC, SELF, target,
                  owner.equals("java/lang/System") ? "(I)V" : "(Ljava/lang/Runtime;I)V", false);
            } else {
              super.visitMethodInsn(opcode, owner, method, d, itf);
            }
          }

          @Override
          public void visitInvokeDynamicInsn(String name, String d, Handle bsm, Object... args) {
            for (int i = 0; i < args.length; i++) {
              if (args[i] instanceof Handle h) {
                String target = target(h.getOwner(), h.getName(), h.getDesc());
                if (target != null) {
                  changed[0] = true; // a method reference such as System::exit
                  args[i] = new Handle(Opcodes.H_INVOKESTATIC, SELF, target,
                      h.getOwner().equals("java/lang/System") ? "(I)V" : "(Ljava/lang/Runtime;I)V", false);
                }
              }
            }
            super.visitInvokeDynamicInsn(name, d, bsm, args);
          }
        };
      }
    }, 0);
    return changed[0] ? writer.toByteArray() : classFile;
  }

  private static String target(String owner, String method, String desc) {
    if (!desc.equals("(I)V")) {
      return null;
    }
    if (owner.equals("java/lang/System") && method.equals("exit")) {
      return "exit";
    }
    if (owner.equals("java/lang/Runtime") && method.equals("exit")) {
      return "runtimeExit";
    }
    if (owner.equals("java/lang/Runtime") && method.equals("halt")) {
      return "runtimeHalt";
    }
    return null;
  }
}
