package dlcourse.data;

/** Which part of a data set to load: the training or the test split. */
public enum Split {
  TRAIN,
  TEST;

  /** The lower-case folder name used by image-folder data sets ({@code train}, {@code test}). */
  public String folder() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
