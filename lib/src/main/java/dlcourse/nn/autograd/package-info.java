/**
 * An eager mini-autograd on plain arrays: functions with a hand-written forward and backward pass, like
 * {@code torch.autograd.Function}, layers built from them, and a tape that runs the backward passes in reverse.
 *
 * <p>Biases and row statistics are broadcast with ND4J's broadcasting arithmetic ({@code addi}, {@code sub},
 * {@code divi} on shapes such as {@code (N, C)} and {@code (1, C)}), never with {@code addiRowVector} and the other
 * row/column-vector methods: in ND4J 1.0.0-M2.1 those run a legacy broadcast op whose own dimension array is no
 * longer referenced from Java while the native call runs, so a garbage collection at that moment frees it and the
 * JVM dies with SIGSEGV in {@code sd::DataBuffer::special()}. With the small young generation we run with
 * ({@code -Xmn8m}) a loop of {@code addiRowVector} calls under allocation pressure crashed within 20 s;
 * {@code LegacyBroadcastGuardTest} keeps these methods out of the library.
 */
package dlcourse.nn.autograd;
