package dlcourse.train;

import dlcourse.nn.Parameter;
import java.lang.reflect.Constructor;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Builds free-standing parameters for tests; the constructor is package-private in dlcourse.nn. */
final class TestParams {
  private TestParams() {}

  static Parameter param(String name, INDArray data) {
    return param(name, data, true);
  }

  static Parameter param(String name, INDArray data, boolean requiresGrad) {
    try {
      Constructor<Parameter> c =
          Parameter.class.getDeclaredConstructor(String.class, INDArray.class, boolean.class);
      c.setAccessible(true);
      return c.newInstance(name, data, requiresGrad);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot create a Parameter for tests", e);
    }
  }
}
