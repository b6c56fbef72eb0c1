/**
 * Captured training steps: an optimisation of the eager path of {@code dlcourse.tensor} and {@code dlcourse.nn}, never
 * a second set of layers. {@link dlcourse.compile.CapturedCnnStep} records the step of a sequential CNN with
 * cross-entropy (the same {@code Conv2d}, {@code BatchNorm2d}, {@code ReLU}, pooling, {@code Flatten}, {@code Linear}
 * and {@code Dropout} modules the eager step runs) once per input shape as oneDNN primitives bound to reused buffers, and replays it every batch; its loss
 * and padding use the same kernels as {@code F.crossEntropy} and {@code F.pad} ({@code dlcourse.kernels}), its dropout
 * the same masks as {@code F.dropout}, its batch norm the running-statistics update of {@code F.batchNorm}, and
 * {@code CapturedCnnStepTest} checks loss, logits, every gradient, the parameters and running statistics over several
 * steps, and evaluation, against the eager step.
 *
 * <p>{@code dlcourse.train.Trainer} chooses it automatically ({@code Trainer.stepKind} says which step runs and why);
 * notebooks never import this package. Named after what it does (compile a repeated step), not after its backend:
 * the layers stay in {@code dlcourse.nn}, the primitives in {@code dlcourse.kernels}.
 */
package dlcourse.compile;
