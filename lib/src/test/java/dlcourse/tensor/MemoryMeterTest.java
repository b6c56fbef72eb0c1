package dlcourse.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class MemoryMeterTest {

  @Test
  void countsTheDataOfEveryArrayMadeButNotViews() {
    Tensor a = Tensor.randn(1, 64, 32);
    assertEquals(512L * 512 * 4, MemoryMeter.allocatedBytes(() -> Nd4j.create(DataType.FLOAT, 512, 512)));
    assertEquals(64L * 32 * 4, MemoryMeter.allocatedBytes(() -> a.array().dup()));
    assertEquals(64L * 32 * (8 + 4), MemoryMeter.allocatedBytes(() -> {
      a.array().castTo(DataType.DOUBLE);
      a.array().dup();
    }));
    assertEquals(0, MemoryMeter.allocatedBytes(() -> a.transpose(0, 1).narrow(0, 2, 5)));
  }

  @Test
  void repeatable() {
    Tensor x = Tensor.randn(3, 300, 40);
    long first = MemoryMeter.allocatedBytes(() -> x.softmax(1).sum());
    assertEquals(first, MemoryMeter.allocatedBytes(() -> x.softmax(1).sum()));
  }
}
