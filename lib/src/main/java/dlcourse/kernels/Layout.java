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
   * Whether a view that starts at its buffer's first element and spans all of it counts as plain; off
   * ({@code -Ddlcourse.kernels.layout.views=false}), every view is copied as before (for A/B timings).
   */
  static volatile boolean viewsPlain = !"false".equals(System.getProperty("dlcourse.kernels.layout.views"));

  /**
   * True when {@code a.data()} is exactly its elements, in row-major order from offset 0 (strides of size-1
   * dimensions do not matter). A reshape of a plain array (what {@code F.linear} returns for a (B, T, C) input) is an
   * ND4J view of the same buffer and counts as plain; a range of rows or columns does not (its offset, or its buffer
   * holds other elements). Whether {@code a} owns its memory is another question ({@code Buffers.recycle} asks it).
   */
  public static boolean isPlain(INDArray a) {
    return (viewsPlain || !a.isView()) && a.offset() == 0 && a.data().length() == a.length() && Gemm.rowMajor(a);
  }

  /** {@code a} itself when {@link #isPlain}, else a row-major copy. */
  public static INDArray plain(INDArray a) {
    return isPlain(a) ? a : a.dup('c');
  }
}
