package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TorchScriptTest {

  @Test
  void runsAProgramFromTheResourcesWithItsArgumentsAndReturnsItsLines() {
    assertEquals(List.of("started", "a b 3"), TorchScript.run("echo_args.py", "a", "b", "3"));
    assertTrue(TorchScript.source("echo_args.py").startsWith("# TorchScriptTest"));
  }

  @Test
  void aFailingProgramThrowsWithItsOutputAndAMissingOneIsNamed() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> TorchScript.run("echo_args.py", "fail"));
    assertTrue(e.getMessage().startsWith("echo_args.py exited with 3:"), e.getMessage());
    assertTrue(e.getMessage().contains("failing on purpose"), e.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> TorchScript.run("nope.py"));
    assertEquals("no PyTorch program nope.py under dlcourse/torch/", missing.getMessage());
  }

  @Test
  void theQ11CrossCheckShipsWithTheLibrary() {
    assertTrue(TorchScript.source("net1_fconv.py").contains("nn.AdaptiveMaxPool2d(1)"));
  }
}
