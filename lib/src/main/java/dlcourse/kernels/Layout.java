package dlcourse.kernels;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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

  /**
   * Whether {@link #plainFloats} fills its new array with one bulk copy instead of {@code Nd4j.create(float[], ...)}
   * (which zeroes the buffer, then writes it element by element: 10 against 6 us for 2,048 floats, 22 against 12 us
   * for 5,632, thread CPU per call on the session-14 machine); {@code -Ddlcourse.kernels.layout.bulkFill=false} turns
   * it off (for A/B timings).
   */
  static volatile boolean bulkFill = !"false".equals(System.getProperty("dlcourse.kernels.layout.bulkFill"));

  /** A new plain 'c' float array of {@code shape} holding {@code values} (row-major), e.g. a Java kernel's result. */
  public static INDArray plainFloats(float[] values, long... shape) {
    if (!bulkFill) {
      return Nd4j.create(values, shape, 'c');
    }
    INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
    if (a.length() != values.length) {
      throw new IllegalArgumentException("plainFloats: " + values.length + " values for shape "
          + java.util.Arrays.toString(shape));
    }
    a.data().asNioFloat().put(0, values);
    Reference.reachabilityFence(a); // an NIO view does not keep its array's memory alive
    return a;
  }
}
