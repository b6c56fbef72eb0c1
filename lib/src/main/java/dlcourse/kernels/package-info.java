/**
 * The arithmetic under {@code dlcourse.tensor} and {@code dlcourse.nn}, on ND4J arrays and host arrays, without
 * autograd: oneDNN primitives cached by shape ({@link dlcourse.kernels.Dnnl}, convolution, pooling, layer norm,
 * softmax, GELU, batched matmul), and host loops where they measure faster than a chain of small ND4J ops (the LSTM
 * gates, the cross-entropy of a classifier's logits, the border copies of mirror padding) or than oneDNN's threads
 * (batch norm, per channel over {@code Parallel}'s threads without barriers). Each kernel is written
 * once and used by both the eager operations of {@code F} and the captured step of {@code dlcourse.compile}.
 * Internal: notebooks never import it.
 */
package dlcourse.kernels;
