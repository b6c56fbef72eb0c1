/** Layers and models in the spirit of {@code torch.nn}, built as SameDiff graphs. */
package dlcourse.nn;
