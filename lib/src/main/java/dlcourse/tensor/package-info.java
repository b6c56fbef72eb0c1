/**
 * Tensors with reverse-mode automatic differentiation: {@link dlcourse.tensor.Tensor} (values, operations, the tape
 * and {@code backward()}), {@link dlcourse.tensor.GradMode} ({@code noGrad()}), {@link
 * dlcourse.tensor.AutogradFunction} for operations with a hand-written backward pass, and {@link
 * dlcourse.tensor.GradCheck}. Layers and losses build on it in {@code dlcourse.nn}; the arithmetic kernels they call
 * live in {@code dlcourse.kernels}.
 */
package dlcourse.tensor;
