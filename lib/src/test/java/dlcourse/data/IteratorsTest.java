package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class IteratorsTest {
  @Test
  void dataSetIteratorGivesOneHotLabelsAndMetadata() {
    DataLoader loader = DataLoader.of(Circles.make(10, 0.05, 0.5, 0)).batchSize(4);
    DataSetIterator it = Iterators.dataSetIterator(loader, 2);
    List<DataSet> batches = new ArrayList<>();
    while (it.hasNext()) {
      batches.add(it.next());
    }
    assertEquals(3, batches.size());
    DataSet first = batches.get(0);
    assertArrayEquals(new long[] {4, 2}, first.getLabels().shape());
    long[] y = loader.dataset().labels().toLongVector();
    for (int i = 0; i < 4; i++) {
      assertEquals(1f, first.getLabels().getFloat(i, (int) y[i]), "row " + i + " is one-hot at its class");
      assertEquals(1f, first.getLabels().getRow(i).sumNumber().floatValue());
    }
    assertEquals(2, it.inputColumns());
    assertEquals(2, it.totalOutcomes());
    assertEquals(4, it.batch());
    assertEquals(List.of("outer", "inner"), it.getLabels());
    assertTrue(it.resetSupported());
  }

  @Test
  void resetStartsTheNextEpochButAResetBeforeReadingDoesNotSkipOne() {
    DataLoader loader = DataLoader.of(DataLoaderTest.indexed(20)).batchSize(20).shuffle(true).seed(5);
    MultiDataSetIterator it = Iterators.multiDataSetIterator(loader);
    it.reset(); // DL4J and SameDiff reset before the first epoch
    INDArray epoch0 = it.next().getLabels(0);
    assertFalse(it.hasNext());
    it.reset();
    INDArray epoch1 = it.next().getLabels(0);
    assertNotEquals(epoch0, epoch1);
    DataLoader fresh = DataLoader.of(DataLoaderTest.indexed(20)).batchSize(20).shuffle(true).seed(5);
    assertEquals(fresh.iterator().next().y().array(), epoch0);
    assertEquals(fresh.iterator().next().y().array(), epoch1);
  }

  @Test
  void multiDataSetIteratorKeepsInt64ClassIndices() {
    DataLoader loader = DataLoader.of(DataLoaderTest.indexed(6)).batchSize(3);
    MultiDataSet mds = Iterators.multiDataSetIterator(loader).next();
    assertEquals(DataType.LONG, mds.getLabels(0).dataType());
    assertArrayEquals(new long[] {3, 2, 3, 3}, mds.getFeatures(0).shape());
    MultiDataSet hot = Iterators.multiDataSetIterator(loader, 6).next();
    assertArrayEquals(new long[] {3, 6}, hot.getLabels(0).shape());
  }

  @Test
  void oneHotRejectsLabelsOutsideTheClassRange() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Iterators.oneHot(Nd4j.createFromArray(0L, 3L), 3));
    assertEquals("label 3 at position 1 is outside [0, 3)", e.getMessage());
    INDArray floats = Nd4j.rand(DataType.FLOAT, 2, 3);
    assertEquals(floats, Iterators.oneHot(floats, 3), "non-index targets pass through");
    var n = assertThrows(UnsupportedOperationException.class,
        () -> Iterators.dataSetIterator(DataLoader.of(DataLoaderTest.indexed(4)).batchSize(2), 4).next(3));
    assertTrue(n.getMessage().contains("DataLoader (2)"), n.getMessage());
  }

  /** 200 points in 2-D, label 1 where x0 > 0: a few steps of training reduce the loss. */
  private static TensorDataset separable() {
    Nd4j.getRandom().setSeed(0);
    INDArray x = Nd4j.randn(DataType.FLOAT, 200, 2);
    INDArray y = x.getColumn(0).gt(0).castTo(DataType.LONG);
    return new TensorDataset(x, y);
  }

  @Test
  void dl4jNetworkTrainsFromTheAdapter() {
    var net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(0).updater(new Adam(0.05)).list()
        .layer(new DenseLayer.Builder().nIn(2).nOut(16).activation(Activation.TANH).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(2)
            .activation(Activation.SOFTMAX).build())
        .build());
    net.init();
    TensorDataset data = separable();
    DataSet all = new DataSet(data.features(), Iterators.oneHot(data.labels(), 2));
    double before = net.score(all);
    DataLoader loader = DataLoader.of(data).batchSize(20).shuffle(true);
    net.fit(Iterators.dataSetIterator(loader, 2), 2);
    assertEquals(2, loader.epoch(), "one loader epoch per DL4J epoch");
    double after = net.score(all);
    assertTrue(after < 0.9 * before, "loss falls: " + before + " -> " + after);
  }

  @Test
  void sameDiffTrainsFromTheAdapterWithSparseLabels() {
    Nd4j.getRandom().setSeed(11); // the initial weights; other tests move ND4J's generator, so seed it here
    SameDiff sd = SameDiff.create();
    SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 2);
    SDVariable y = sd.placeHolder("y", DataType.LONG, -1);
    SDVariable w1 = sd.var("w1", Nd4j.rand(DataType.FLOAT, 2, 16).subi(0.5));
    SDVariable b1 = sd.var("b1", Nd4j.zeros(DataType.FLOAT, 16));
    SDVariable w2 = sd.var("w2", Nd4j.rand(DataType.FLOAT, 16, 2).subi(0.5));
    SDVariable logits = sd.math().tanh(x.mmul(w1).add(b1)).mmul(w2);
    SDVariable loss = sd.loss().sparseSoftmaxCrossEntropy("loss", logits, y);
    sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(0.05))
        .dataSetFeatureMapping("x").dataSetLabelMapping("y").build());
    TensorDataset data = separable();
    var feed = java.util.Map.of("x", data.features(), "y", data.labels());
    double before = sd.output(feed, "loss").get("loss").getDouble(0);
    DataLoader loader = DataLoader.of(data).batchSize(20).shuffle(true).seed(0);
    sd.fit(Iterators.multiDataSetIterator(loader), 2);
    assertEquals(2, loader.epoch(), "one loader epoch per SameDiff epoch");
    double after = sd.output(feed, "loss").get("loss").getDouble(0);
    assertTrue(after < 0.9 * before, "loss falls: " + before + " -> " + after);
  }
}
