package dlcourse.data;

import dlcourse.util.Check;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adapters from a {@link DataLoader} to the iterators DL4J and SameDiff train on.
 *
 * <p>Each adapter starts a new loader epoch when it is first read after creation or after {@code reset()}, so the
 * shuffling and augmentation still change every epoch. Calling {@code reset()} before anything was read does not
 * skip an epoch.
 */
public final class Iterators {
  private Iterators() {}

  /**
   * A DL4J {@link DataSetIterator} over {@code loader}, with class indices turned into one-hot float rows
   * {@code (B, numClasses)} as DL4J's output layers expect; other targets pass through unchanged.
   *
   * @param numClasses the number of classes, used for one-hot labels and {@code totalOutcomes()}
   */
  public static DataSetIterator dataSetIterator(DataLoader loader, int numClasses) {
    Objects.requireNonNull(loader, "loader");
    Check.positive(numClasses, "numClasses");
    return new Dl4jIterator(loader, numClasses);
  }

  /**
   * A SameDiff {@link MultiDataSetIterator} over {@code loader} with one input ({@code x}) and one label
   * ({@code y}) exactly as the loader gives them: int64 class indices for a sparse cross-entropy loss.
   */
  public static MultiDataSetIterator multiDataSetIterator(DataLoader loader) {
    Objects.requireNonNull(loader, "loader");
    return new SameDiffIterator(loader, 0);
  }

  /** Like {@link #multiDataSetIterator(DataLoader)}, with class indices turned into one-hot float rows. */
  public static MultiDataSetIterator multiDataSetIterator(DataLoader loader, int numClasses) {
    Objects.requireNonNull(loader, "loader");
    Check.positive(numClasses, "numClasses");
    return new SameDiffIterator(loader, numClasses);
  }

  /**
   * One-hot float32 rows {@code (B, numClasses)} for int64 class indices {@code (B)}; any other array is returned
   * unchanged.
   *
   * @throws IllegalArgumentException when a class index is outside {@code [0, numClasses)}
   */
  public static INDArray oneHot(INDArray labels, int numClasses) {
    if (labels.rank() != 1 || labels.dataType() != DataType.LONG) {
      return labels;
    }
    long[] y = labels.toLongVector();
    float[] out = new float[y.length * numClasses];
    for (int i = 0; i < y.length; i++) {
      if (y[i] < 0 || y[i] >= numClasses) {
        throw new IllegalArgumentException(
            "label " + y[i] + " at position " + i + " is outside [0, " + numClasses + ")");
      }
      out[i * numClasses + (int) y[i]] = 1f;
    }
    return Nd4j.create(out, new long[] {y.length, numClasses}, 'c');
  }

  /** Shared epoch handling: a loader epoch is started lazily, on the first read after creation or reset. */
  private abstract static class Adapter {
    final DataLoader loader;
    private Iterator<Batch> epoch;

    Adapter(DataLoader loader) {
      this.loader = loader;
    }

    public boolean hasNext() {
      if (epoch == null) {
        epoch = loader.iterator();
      }
      return epoch.hasNext();
    }

    Batch nextBatch() {
      if (!hasNext()) {
        throw new NoSuchElementException("no more batches in this epoch; call reset() to start the next one");
      }
      return epoch.next();
    }

    public boolean resetSupported() {
      return true;
    }

    public boolean asyncSupported() {
      return false; // the loader's epoch counter is not thread-safe
    }

    public void reset() {
      epoch = null;
    }

    void checkNum(int num) {
      if (num != loader.batchSize()) {
        throw new UnsupportedOperationException(
            "the batch size is set on the DataLoader (" + loader.batchSize() + "), cannot return " + num);
      }
    }
  }

  private static final class Dl4jIterator extends Adapter implements DataSetIterator {
    private final int numClasses;
    private DataSetPreProcessor preProcessor;

    Dl4jIterator(DataLoader loader, int numClasses) {
      super(loader);
      this.numClasses = numClasses;
    }

    @Override
    public DataSet next() {
      Batch b = nextBatch();
      DataSet ds = new DataSet(b.x().array(), oneHot(b.y().array(), numClasses));
      if (preProcessor != null) {
        preProcessor.preProcess(ds);
      }
      return ds;
    }

    @Override
    public DataSet next(int num) {
      checkNum(num);
      return next();
    }

    @Override
    public int inputColumns() {
      long[] shape = loader.dataset().features().shape();
      long cols = 1;
      for (int d = 1; d < shape.length; d++) {
        cols *= shape[d];
      }
      return Math.toIntExact(cols);
    }

    @Override
    public int totalOutcomes() {
      return numClasses;
    }

    @Override
    public int batch() {
      return loader.batchSize();
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
      this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
      return preProcessor;
    }

    @Override
    public List<String> getLabels() {
      return loader.dataset().classes();
    }

    @Override
    public String toString() {
      return "DataSetIterator(" + loader + ", numClasses=" + numClasses + ")";
    }
  }

  private static final class SameDiffIterator extends Adapter implements MultiDataSetIterator {
    private final int numClasses; // 0: labels as they are
    private MultiDataSetPreProcessor preProcessor;

    SameDiffIterator(DataLoader loader, int numClasses) {
      super(loader);
      this.numClasses = numClasses;
    }

    @Override
    public MultiDataSet next() {
      Batch b = nextBatch();
      INDArray y = numClasses > 0 ? oneHot(b.y().array(), numClasses) : b.y().array();
      MultiDataSet mds = new org.nd4j.linalg.dataset.MultiDataSet(b.x().array(), y);
      if (preProcessor != null) {
        preProcessor.preProcess(mds);
      }
      return mds;
    }

    @Override
    public MultiDataSet next(int num) {
      checkNum(num);
      return next();
    }

    @Override
    public void setPreProcessor(MultiDataSetPreProcessor preProcessor) {
      this.preProcessor = preProcessor;
    }

    @Override
    public MultiDataSetPreProcessor getPreProcessor() {
      return preProcessor;
    }

    @Override
    public String toString() {
      return "MultiDataSetIterator(" + loader + (numClasses > 0 ? ", oneHot=" + numClasses : "") + ")";
    }
  }
}
