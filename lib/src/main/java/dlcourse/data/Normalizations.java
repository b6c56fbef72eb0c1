package dlcourse.data;

import dlcourse.data.Transforms.Normalize;
import static dlcourse.data.TransformSupport.floats;
import static dlcourse.data.TransformSupport.named;

import dlcourse.util.Check;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Normalisations behind {@link Transforms}: per-channel statistics, contrast and norm scaling, PCA/ZCA whitening. */
final class Normalizations {
  private Normalizations() {}

  static Normalize normalizeFrom(Dataset train, Transform preprocess) {
    Objects.requireNonNull(train, "train");
    INDArray f = train.features();
    if (train.size() == 0 || f.rank() < 2) {
      throw new IllegalArgumentException(
          "normalizeFrom needs a non-empty data set with a channel dimension, got features of shape "
              + Arrays.toString(f.shape()));
    }
    int c = (int) f.size(1);
    long n = f.size(0);
    long perChunk = Math.max(1, (1L << 22) / Math.max(1, f.length() / n)); // ~4M values per chunk
    double[] sum = new double[c];
    long count = 0;
    for (long from = 0; from < n; from += perChunk) {
      INDArray x = chunk(f, from, Math.min(n, from + perChunk), preprocess);
      add(sum, x.sum(reduceDims(x.rank())));
      count += x.length() / c;
    }
    double[] mean = new double[c];
    for (int i = 0; i < c; i++) {
      mean[i] = sum[i] / count;
    }
    INDArray meanArr = Nd4j.createFromArray(mean).reshape(broadcastShape(c, f.rank()));
    double[] sq = new double[c];
    for (long from = 0; from < n; from += perChunk) { // second pass: exact for large means
      INDArray x = chunk(f, from, Math.min(n, from + perChunk), preprocess).sub(meanArr);
      add(sq, x.muli(x).sum(reduceDims(x.rank())));
    }
    double[] std = new double[c];
    for (int i = 0; i < c; i++) {
      std[i] = Math.sqrt(sq[i] / count);
      if (!(std[i] > 0)) {
        throw new IllegalArgumentException(
            "channel " + i + " of the training features is constant (std 0), cannot normalise it");
      }
    }
    return new Normalize(mean, std);
  }

  static INDArray chunk(INDArray f, long from, long to, Transform preprocess) {
    INDArrayIndex[] ix = new INDArrayIndex[f.rank()];
    ix[0] = NDArrayIndex.interval(from, to);
    for (int d = 1; d < ix.length; d++) {
      ix[d] = NDArrayIndex.all();
    }
    INDArray x = f.get(ix);
    if (preprocess != null) {
      x = preprocess.apply(x, new Random(0));
    }
    return x.castTo(DataType.DOUBLE);
  }

  static int[] reduceDims(int rank) {
    int[] dims = new int[rank - 1];
    dims[0] = 0;
    for (int d = 2; d < rank; d++) {
      dims[d - 1] = d;
    }
    return dims;
  }

  static long[] broadcastShape(int c, int rank) {
    long[] shape = new long[rank];
    Arrays.fill(shape, 1);
    shape[1] = c;
    return shape;
  }

  static void add(double[] acc, INDArray v) {
    double[] d = v.toDoubleVector();
    for (int i = 0; i < acc.length; i++) {
      acc[i] += d[i];
    }
  }

  static Transform globalContrastNormalize(double scale, double sqrtBias, double eps) {
    Check.finite(scale, "scale");
    Check.nonNegative(sqrtBias, "sqrtBias");
    Check.positive(eps, "eps");
    return named("globalContrastNormalize(" + scale + ", " + sqrtBias + ", " + eps + ")", (batch, rng) -> {
      INDArray x = perSample(batch, "globalContrastNormalize");
      INDArray centred = x.sub(x.mean(1).reshape(-1, 1));
      INDArray std = centred.mul(centred).mean(1).addi(sqrtBias);
      org.nd4j.linalg.ops.transforms.Transforms.sqrt(std, false);
      org.nd4j.linalg.ops.transforms.Transforms.max(std, eps, false);
      return centred.divi(std.reshape(-1, 1)).muli(scale).reshape(batch.shape());
    });
  }

  static Transform lpNormalize(double p) {
    if (!(p >= 1) || !Double.isFinite(p)) {
      throw new IllegalArgumentException("p must be finite and >= 1, got " + p);
    }
    return named("lpNormalize(" + p + ")", (batch, rng) -> {
      INDArray x = perSample(batch, "lpNormalize");
      INDArray norm = p == 1 ? x.norm1(1) : p == 2 ? x.norm2(1)
          : org.nd4j.linalg.ops.transforms.Transforms.pow(
              org.nd4j.linalg.ops.transforms.Transforms.pow(org.nd4j.linalg.ops.transforms.Transforms.abs(x), p)
                  .sum(1), 1 / p, false);
      org.nd4j.linalg.ops.transforms.Transforms.max(norm, 1e-12, false);
      return x.div(norm.reshape(-1, 1)).reshape(batch.shape());
    });
  }

  static Transform minMax() {
    return named("minMax()", (batch, rng) -> {
      INDArray x = perSample(batch, "minMax");
      INDArray min = x.min(1).reshape(-1, 1);
      INDArray range = x.max(1).reshape(-1, 1).subi(min);
      org.nd4j.linalg.ops.transforms.Transforms.max(range, 1e-12, false);
      return x.sub(min).divi(range).reshape(batch.shape());
    });
  }

  static Transform linearTransformation(INDArray matrix, INDArray mean) {
    Objects.requireNonNull(matrix, "matrix");
    Objects.requireNonNull(mean, "mean");
    if (matrix.rank() != 2 || matrix.size(0) != matrix.size(1) || mean.length() != matrix.size(0)) {
      throw new IllegalArgumentException(
          "linearTransformation needs a square matrix (D, D) and a mean of D values, got "
              + Arrays.toString(matrix.shape()) + " and " + Arrays.toString(mean.shape()));
    }
    INDArray m = matrix.castTo(DataType.FLOAT).dup('c');
    INDArray mu = mean.castTo(DataType.FLOAT).reshape(1, mean.length()).dup('c');
    return named("linearTransformation(D=" + m.size(0) + ")", (batch, rng) -> {
      INDArray x = perSample(batch, "linearTransformation");
      if (x.size(1) != m.size(0)) {
        throw new IllegalArgumentException("linearTransformation is for samples of " + m.size(0) + " values, got shape "
            + Arrays.toString(batch.shape()));
      }
      return x.sub(mu).mmul(m).reshape(batch.shape());
    });
  }

  static Transform whitening(Dataset train, double eps, boolean zca) {
    Objects.requireNonNull(train, "train");
    Check.positive(Check.finite(eps, "eps"), "eps");
    INDArray f = train.features();
    long n = f.size(0);
    long d = f.length() / n;
    if (n < 2) {
      throw new IllegalArgumentException("whitening needs at least 2 training samples, got " + n);
    }
    long perChunk = Math.max(1, (1L << 22) / d);
    INDArray sum = Nd4j.zeros(DataType.DOUBLE, 1, d);
    for (long from = 0; from < n; from += perChunk) {
      sum.addi(chunk(f, from, Math.min(n, from + perChunk), null).reshape(-1, d).sum(true, 0));
    }
    INDArray mean = sum.divi(n);
    INDArray cov = Nd4j.zeros(DataType.DOUBLE, d, d);
    for (long from = 0; from < n; from += perChunk) {
      INDArray x = chunk(f, from, Math.min(n, from + perChunk), null).reshape(-1, d).sub(mean);
      cov.addi(x.transpose().mmul(x));
    }
    cov.divi(n);
    // LAPACK syev: ascending eigenvalues; cov is overwritten with the eigenvectors as columns
    INDArray lambda = org.nd4j.linalg.eigen.Eigen.symmetricGeneralizedEigenvalues(cov, true);
    double[] ascending = lambda.toDoubleVector();
    int[] order = new int[(int) d];
    double[] scale = new double[(int) d];
    for (int i = 0; i < d; i++) {
      order[i] = (int) d - 1 - i;
      // round-off can make the tiny eigenvalues of a rank-deficient covariance negative
      scale[i] = 1 / Math.sqrt(Math.max(0, ascending[order[i]]) + eps);
    }
    INDArray u = cov.getColumns(order).dup('c'); // (D, D), columns by decreasing eigenvalue
    INDArray m = u.mul(Nd4j.createFromArray(scale).reshape(1, d));
    if (zca) {
      m = m.mmul(u.transpose());
    }
    return named((zca ? "zca" : "pca") + "WhiteningFrom(n=" + n + ", eps=" + eps + ")",
        linearTransformation(m, mean.reshape(d)));
  }

  /** The batch as float32 rows, one per sample: {@code (N, C*H*W)}. */
  static INDArray perSample(INDArray batch, String op) {
    Objects.requireNonNull(batch, "batch");
    if (batch.rank() < 2) {
      throw new IllegalArgumentException(op + " expects a batch (N, ...), got shape " + Arrays.toString(batch.shape()));
    }
    return floats(batch).dup('c').reshape(batch.size(0), batch.length() / batch.size(0));
  }
}
