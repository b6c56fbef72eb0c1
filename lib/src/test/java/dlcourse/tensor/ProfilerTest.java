package dlcourse.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class ProfilerTest {
  @Test
  void countsEveryOperationForwardAndBackward() {
    Tensor w = Tensor.of(Nd4j.rand(DataType.FLOAT, 3, 2)).requiresGrad(true);
    Tensor x = Tensor.of(Nd4j.rand(DataType.FLOAT, 4, 3));
    Profiler prof;
    try (var p = Profiler.start()) {
      prof = p;
      for (int i = 0; i < 3; i++) {
        x.matmul(w).tanh().sum().backward();
      }
      assertThrows(IllegalStateException.class, Profiler::start);
    }
    Map<String, Long> calls = prof.entries().stream()
        .collect(Collectors.toMap(e -> e.op() + " " + e.pass(), Profiler.Entry::calls));
    assertEquals(3L, calls.get("matmul forward"));
    assertEquals(3L, calls.get("tanh backward"));
    assertEquals(3L, calls.get("sum backward"));
    assertTrue(prof.entries().stream().allMatch(e -> e.millis() >= 0));
    assertTrue(prof.toString().contains("matmul"), prof.toString());
    x.matmul(w).sum(); // closed: nothing more is counted
    assertEquals(3L, prof.entries().stream().filter(e -> e.op().equals("matmul") && e.pass().equals("forward"))
        .findFirst().orElseThrow().calls());
  }
}
