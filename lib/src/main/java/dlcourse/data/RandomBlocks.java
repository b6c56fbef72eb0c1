package dlcourse.data;

import dlcourse.util.Check;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Random;

/**
 * Batches of next-character samples from a {@link TextCorpus}, at offsets drawn uniformly <em>with replacement</em>:
 * the course template's {@code TextDataset} (one sample per offset, {@code x = text[i, i + T)}, {@code y = text[i + 1,
 * i + T + 1)}) behind a {@code RandomSampler(replacement=True)} with {@code drop_last}, which is also nanoGPT's
 * {@code get_batch}.
 *
 * <p>Every call to {@link #iterator()} is one epoch of {@link #stepsPerEpoch()} batches; by default an epoch has as
 * many batches as the template's: {@code numBlocks / batchSize}, rounded down (4,219 for Grimms' tales at T = 128 and
 * batch 128). The offsets of an epoch are drawn from the seed and the epoch number, so two samplers with the same
 * settings give the same batches.
 *
 * <pre>{@code
 * var batches = RandomBlocks.of(text, 128).batchSize(128).seed(0);
 * for (Batch b : batches) { ... }   // b.x(), b.y(): int64 (128, 128)
 * }</pre>
 */
public final class RandomBlocks implements Iterable<Batch> {
  private final TextCorpus text;
  private final int blockSize;
  private final long numBlocks;
  private int batchSize = 1;
  private long stepsPerEpoch = -1; // -1: numBlocks / batchSize
  private long seed = 0;
  private long epoch = 0;

  private RandomBlocks(TextCorpus text, int blockSize) {
    this.text = Objects.requireNonNull(text, "text");
    this.blockSize = blockSize;
    this.numBlocks = text.numBlocks(blockSize);
  }

  /**
   * Samples of {@code blockSize} characters from {@code text}, batch size 1.
   *
   * @throws IllegalArgumentException if blockSize is not in [1, text length)
   */
  public static RandomBlocks of(TextCorpus text, int blockSize) {
    return new RandomBlocks(text, blockSize);
  }

  public TextCorpus text() {
    return text;
  }

  /** Characters per sample T. */
  public int blockSize() {
    return blockSize;
  }

  /** The number of distinct samples, {@code text.length() - blockSize}. */
  public long numBlocks() {
    return numBlocks;
  }

  public int batchSize() {
    return batchSize;
  }

  /** Sets the number of samples per batch; default 1. */
  public RandomBlocks batchSize(int batchSize) {
    Check.positive(batchSize, "batchSize");
    this.batchSize = batchSize;
    return this;
  }

  /** Batches per epoch: as set, else {@code numBlocks() / batchSize()} (the template's epoch with drop_last). */
  public long stepsPerEpoch() {
    return stepsPerEpoch > 0 ? stepsPerEpoch : numBlocks / batchSize;
  }

  /** Sets the number of batches per epoch, e.g. a shorter epoch than the template's for a CPU run. */
  public RandomBlocks stepsPerEpoch(long steps) {
    Check.positive(steps, "stepsPerEpoch");
    this.stepsPerEpoch = steps;
    return this;
  }

  /** Batches per epoch, {@link #stepsPerEpoch()}. */
  public long size() {
    return stepsPerEpoch();
  }

  public long seed() {
    return seed;
  }

  /** Sets the seed of the offsets; default 0. */
  public RandomBlocks seed(long seed) {
    this.seed = seed;
    return this;
  }

  /** The epoch number the next {@link #iterator()} call will use; starts at 0 and counts iterator calls. */
  public long epoch() {
    return epoch;
  }

  /** Sets the epoch number the next {@link #iterator()} call will use, e.g. to resume training. */
  public RandomBlocks epoch(long epoch) {
    Check.nonNegative(epoch, "epoch");
    this.epoch = epoch;
    return this;
  }

  /** Starts a new epoch and returns its batches. */
  @Override
  public Iterator<Batch> iterator() {
    Random rng = new Random(DataLoader.mix(seed, epoch++, 0));
    long steps = stepsPerEpoch();
    int b = batchSize;
    return new Iterator<>() {
      private long done = 0;

      @Override
      public boolean hasNext() {
        return done < steps;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException("an epoch has " + steps + " batches");
        }
        done++;
        return text.blocks(rng.longs(b, 0, numBlocks).toArray(), blockSize);
      }
    };
  }

  @Override
  public String toString() {
    return "RandomBlocks(blockSize=" + blockSize + ", numBlocks=" + numBlocks + ", batchSize=" + batchSize
        + ", stepsPerEpoch=" + stepsPerEpoch() + ", seed=" + seed + ")";
  }
}
