package dlcourse.nn;

/** How a convolution fills the border it pads, PyTorch's {@code padding_mode}. */
public enum PaddingMode {
  /** Zeros. */
  ZEROS,
  /** Mirror without repeating the edge: [a b c] pad 2 -> [c b a b c b a]. */
  REFLECT,
  /** Repeat the edge value: [a b c] pad 2 -> [a a a b c c c]. */
  REPLICATE,
  /** Wrap around: [a b c] pad 2 -> [b c a b c a b]. */
  CIRCULAR
}
