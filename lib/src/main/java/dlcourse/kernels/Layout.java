package dlcourse.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Whether an array's storage can be read as its elements in row-major order, from the start of its buffer: the test
 * every host loop and kernel that reads {@code data()} directly must pass first.
 *
 * <p>ND4J's flags alone do not say so: a permuted array ({@code permute}, and {@code transpose} of rank 3 and up)
 * reports {@code 'c'} ordering, is no view and starts at offset 0, yet its strides are not row-major, so its
 * storage holds the elements in another order. Only the strides tell.
 */
public final class Layout {
  private Layout() {}

  /**
   * True when {@code a} owns exactly its elements, in row-major order from offset 0 (strides of size-1 dimensions
   * do not matter): {@code a.data()} is then the elements in order.
   */
  public static boolean isPlain(INDArray a) {
    return !a.isView() && a.offset() == 0 && a.data().length() == a.length() && Gemm.rowMajor(a);
  }

  /** {@code a} itself when {@link #isPlain}, else a row-major copy. */
  public static INDArray plain(INDArray a) {
    return isPlain(a) ? a : a.dup('c');
  }
}
