"""The README's claim: the kernel as Binder installs it fits a 2 GiB Binder machine.

Against a kernelspec (JupyterKernelIT installs it with binder/postBuild's heap; ND4J's off-heap cap is 4/3 of it):
ND4J arrays are allocated until the cap refuses one, then the heap is filled until it is full, both kept by
variables; the kernel prints its peak resident memory (VmHWM), which must stay under 2 GiB (the Java test asks for
256 MiB less, for the Jupyter server), and must still answer.
"""
import os
import unittest

from jupyter_client.manager import start_new_kernel

KERNEL = os.environ.get("DLCOURSE_KERNEL_NAME", "dlcourse-java")


class BinderFitTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=120)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def run_cell(self, code, timeout=300):
        outputs = []
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=outputs.append)
        return reply["content"], outputs

    def value(self, code):
        content, outputs = self.run_cell(code)
        self.assertEqual(content["status"], "ok", content)
        results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(len(results), 1, outputs)
        return results[0]

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
