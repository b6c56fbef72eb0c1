/**
 * An eager mini-autograd on plain arrays: functions with a hand-written forward and backward pass, like
 * {@code torch.autograd.Function}, layers built from them, and a tape that runs the backward passes in reverse.
 */
package dlcourse.nn.autograd;
