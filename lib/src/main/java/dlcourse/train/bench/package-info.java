/** The training-step benchmark behind {@code ./dlcourse bench}: reference models timed against PyTorch. */
package dlcourse.train.bench;
