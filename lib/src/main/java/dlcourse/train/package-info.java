/** Training tools: optimizers, learning-rate schedules, gradient clipping, metrics, history, checkpoints and experiments. */
package dlcourse.train;
