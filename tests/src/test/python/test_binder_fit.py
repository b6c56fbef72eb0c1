"""The README's claim: the kernel as Binder installs it fits a 2 GiB Binder machine.

Against a kernelspec (JupyterKernelIT installs it with binder/postBuild's heap; ND4J's off-heap cap is 4/3 of it):
ND4J arrays are allocated until the cap refuses one, then the heap is filled until it is full, both kept by
variables; the kernel prints its peak resident memory (VmHWM), which must stay under 2 GiB (the Java test asks for
256 MiB less, for the Jupyter server), and must still answer.
"""
import unittest

from kernel_case import KernelTestCase


class BinderFitTests(KernelTestCase):
    cell_timeout = 300

    def test_binder_both_memories_filled_to_their_caps_stay_under_two_gib(self):
        content, _ = self.run_cell(
            "List<INDArray> arrays = new ArrayList<>();\n"
            "while (true) { INDArray a = Nd4j.create(DataType.FLOAT, 2_500_000L); a.addi(1); arrays.add(a); }")
        self.assertEqual(content["ename"], "OffHeapLimitExceeded", content)
        self.assertEqual(self.run_cell("List<byte[]> big = new ArrayList<>();")[0]["status"], "ok")
        content, _ = self.run_cell("while (true) { big.add(new byte[1 << 20]); }")
        self.assertEqual(content["ename"], "java.lang.OutOfMemoryError", content)
        status = self.value('java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/status"))'
                            '.lines().filter(l -> l.startsWith("VmHWM")).findFirst().get()')
        peak_kib = int(status.strip('"').split()[1])
        print("kernel peak resident memory: %.0f MiB" % (peak_kib / 1024))
        self.assertLess(peak_kib, 2 * 1024 * 1024, status)


if __name__ == "__main__":
    unittest.main()
