"""The harness the kernel tests share: one kernel of the installed dlcourse-java kernelspec per test class.

JUPYTER_DATA_DIR names the Jupyter data dir holding the kernelspec (JupyterKernelIT installs it there);
DLCOURSE_KERNEL_NAME another kernelspec name.
"""
import os
import unittest

from jupyter_client.manager import start_new_kernel

KERNEL = os.environ.get("DLCOURSE_KERNEL_NAME", "dlcourse-java")


class KernelTestCase(unittest.TestCase):
    """Starts one kernel for the test class (self.km, self.kc) and stops it after the last test."""

    # seconds a cell may take, unless run_cell is given its own
    cell_timeout = 120

    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=120)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def run_cell(self, code, timeout=None):
        """Runs code; returns the execute_reply's content and the cell's IOPub messages."""
        outputs = []
        reply = self.kc.execute_interactive(code, timeout=timeout or self.cell_timeout, output_hook=outputs.append)
        return reply["content"], outputs

    def value(self, code):
        """Runs code, which must succeed with one result; returns the result's text/plain."""
        content, outputs = self.run_cell(code)
        self.assertEqual(content["status"], "ok", content)
        results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(len(results), 1, outputs)
        return results[0]
