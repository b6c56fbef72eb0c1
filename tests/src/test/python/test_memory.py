"""Memory limits of the dlcourse-java kernel over the Jupyter protocol: a cell that fills the heap or passes ND4J's
off-heap cap fails alone, with a message that says which memory and how to go on, and the kernel keeps its state.

Run against a kernelspec installed with DLCOURSE_KERNEL_HEAP=384m (heap 384 MiB, off-heap cap 512 MiB).
"""
import time
import unittest

from kernel_case import KernelTestCase


class MemoryTests(KernelTestCase):
    def fill_heap(self, name):
        """Fills the heap with 4 MiB blocks held by the variable `name`, in a loop that catches the OutOfMemoryError to go
        on with smaller blocks (down to 1 KiB); returns the failed cell's reply. The kernel ends such a cell at its first
        OutOfMemoryError (HeapReserve): a cell that held the heap full while it went on left the kernel's protocol
        threads none, and the ZeroMQ I/O thread died of it (tests/src/test/python/stress_memory.py shows it)."""
        self.assertEqual(self.run_cell("List<byte[]> %s = new ArrayList<>();" % name)[0]["status"], "ok")
        content, _ = self.run_cell(
            "int block = 4 << 20;\n"
            "while (true) {\n"
            "    try { %s.add(new byte[block]); } catch (OutOfMemoryError e) { if (block == 1024) throw e; block /= 4; }\n"
            "}" % name)
        return content

    def test_1_heap_filled_by_a_variable_fails_the_cell_alone_and_the_user_can_free_it(self):
        self.assertEqual(self.run_cell("int kept = 41;")[0]["status"], "ok")
        content = self.fill_heap("big")
        self.assertEqual(content["status"], "error")
        self.assertEqual(content["ename"], "java.lang.OutOfMemoryError")
        self.assertIn("Java heap space: the cell filled the JVM heap", content["evalue"])
        self.assertIn("big = null;", content["evalue"])
        self.assertIn("DLCOURSE_KERNEL_HEAP", content["evalue"])
        # the cell's catch block never ran: the kernel threw the first OutOfMemoryError on
        self.assertEqual(self.value("block"), str(4 << 20))
        # the memory is still referenced: the next cells still compile and run (before: a javac internal error and
        # a false "cannot find symbol", then the protocol threads died)
        self.assertEqual(self.value("big.size() > 10"), "true")
        self.assertEqual(self.run_cell("big = null;")[0]["status"], "ok")
        self.assertEqual(self.value("kept + 1"), "42")
        # the heap is usable again: 100 MiB more, and the protocol threads survived (heartbeats over a few seconds)
        self.assertEqual(self.value("byte[] again = new byte[100 << 20]; again.length"), str(100 << 20))
        time.sleep(5)
        self.assertTrue(self.km.is_alive())
        self.assertEqual(self.value("kept"), "41")

    def test_2_arrays_past_the_off_heap_cap_fail_with_the_cap_and_can_be_freed(self):
        self.assertEqual(self.run_cell("int kept2 = 7;")[0]["status"], "ok")
        content, _ = self.run_cell(
            "List<INDArray> arrays = new ArrayList<>();\n"
            "for (int i = 0; i < 40; i++) arrays.add(Nd4j.create(DataType.FLOAT, 25_000_000L));")
        self.assertEqual(content["status"], "error", content)
        self.assertEqual(content["ename"], "OffHeapLimitExceeded")
        self.assertIn("ND4J's off-heap memory cap (-Dorg.bytedeco.javacpp.maxbytes) of 512.0 MiB is reached: an array"
                      " of 95.4 MiB was requested", content["evalue"])
        self.assertEqual(self.value("arrays.size()"), "5")
        self.assertEqual(self.run_cell("arrays = null;")[0]["status"], "ok")
        self.assertEqual(self.value("Nd4j.create(DataType.FLOAT, 100_000_000L).length() + kept2"), "100000007")


if __name__ == "__main__":
    unittest.main()
