package dlcourse.data;

import java.util.Objects;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A function applied to every batch of inputs a {@link DataLoader} produces, like a torchvision transform but
 * working on a whole batch at once.
 *
 * <p>Random transforms draw their parameters from {@code rng}, separately for every sample; the loader passes a
 * generator derived from its seed, the epoch number and the batch index, so augmentations differ every epoch and
 * repeat exactly for the same seed. Implementations return a new array and leave {@code batch} unchanged.
 * Factories for the usual transforms are in {@link Transforms}.
 */
@FunctionalInterface
public interface Transform {
  /**
   * Transforms one batch.
   *
   * @param batch the inputs, images {@code (N, C, H, W)} float32 for the image transforms
   * @param rng the source of randomness for this batch
   * @return the transformed batch, a new array
   */
  INDArray apply(INDArray batch, Random rng);

  /** This transform followed by {@code next}, both drawing from the same generator. */
  default Transform andThen(Transform next) {
    Objects.requireNonNull(next, "next");
    Transform first = this;
    return (batch, rng) -> next.apply(first.apply(batch, rng), rng);
  }
}
