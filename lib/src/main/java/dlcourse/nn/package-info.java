/**
 * Layers, losses and models in the spirit of {@code torch.nn}: {@link dlcourse.nn.Module} and its layers, their
 * math in {@link dlcourse.nn.F} (eager operations on {@link dlcourse.tensor.Tensor}, recorded for backward), and
 * parameter initialisation in {@link dlcourse.nn.Init}.
 */
package dlcourse.nn;
