package dlcourse.graph;

/** How a node combines the messages of its neighbours: their sum, mean or element-wise maximum. */
public enum Aggregation {
  SUM,
  MEAN,
  MAX
}
