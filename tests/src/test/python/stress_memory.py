"""Stress for test_memory's heap test: the heap-filling cell runs while a second client, 20 times a second, opens a new
connection to the heartbeat channel and asks for kernel_info on the control channel, so the kernel's ZeroMQ I/O thread
and its control thread allocate all through the time the cell holds the heap full.

A kernel whose protocol threads can meet a full heap loses one there ("OutOfMemoryError ... in thread iothread-2") and
stops answering; the control replies stop and the cell's reply never comes. Usage (a kernelspec installed with
DLCOURSE_KERNEL_HEAP=384m in JUPYTER_DATA_DIR, as JupyterKernelIT installs it):

    python3 stress_memory.py [RUNS]     # one fresh kernel per run; prints each run and the number of failures
"""
import _thread
import sys
import tempfile
import threading
import time
import unittest

import zmq
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import start_new_kernel

from kernel_case import KERNEL

from test_memory import MemoryTests


class PingingMemoryTests(MemoryTests):
    # a loaded machine runs the heap-filling cell slowly: the verdict is the kernel's own report, not a deadline
    cell_timeout = 900

    @classmethod
    def setUpClass(cls):
        cls.stderr = tempfile.NamedTemporaryFile("w+", prefix="stress-kernel-", suffix=".log")
        cls.km, cls.kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=600, stderr=cls.stderr)

    def kernel_threads_died(self):
        """The JVM's report of a thread that ended with an OutOfMemoryError (the cell's own is a reply, not this)."""
        self.stderr.seek(0)
        return [line.strip() for line in self.stderr if "OutOfMemoryError" in line and "thread" in line]

    def setUp(self):
        self.stop = threading.Event()
        self.pongs = 0
        self.silent = None
        info = self.km.get_connection_info()
        self.pinger = threading.Thread(target=self.ping, args=(info,), daemon=True)
        self.pinger.start()

    def tearDown(self):
        # the control channel still answers after the test: the protocol threads lived through the full heap
        pongs = self.pongs
        time.sleep(3)
        self.stop.set()
        self.pinger.join(15)
        self.assertEqual(self.kernel_threads_died(), [])
        self.assertIsNone(self.silent, self.silent)
        self.assertGreater(self.pongs, pongs, "no control answer in the 3 s after the test")

    def ping(self, info):
        """20 times a second: a heartbeat on a new connection, and a kernel_info request on the control channel, whose
        answer must come (the control thread answers while a cell runs); the I/O thread and the control thread
        allocate all the time."""
        kc = BlockingKernelClient()
        kc.load_connection_info(info)  # for its signing session
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 0
        sock.connect("%s://%s:%d" % (info["transport"], info["ip"], info["control_port"]))
        try:
            hb = "%s://%s:%d" % (info["transport"], info["ip"], info["hb_port"])
            while not self.stop.is_set():
                # a new connection each time: the I/O thread allocates its session and buffers (8 KiB and more)
                ping = zmq.Context.instance().socket(zmq.DEALER)
                ping.linger = 0
                ping.connect(hb)
                ping.send_multipart([b"", b"ping"])
                ping.close()
                msg = kc.session.send(sock, "kernel_info_request")
                waited = 0
                while True:
                    while not sock.poll(1000):
                        waited += 1
                        died = self.kernel_threads_died()
                        if died or waited >= 300:
                            # the cell's reply will not come either: end the wait for it
                            self.silent = "; ".join(died) or "the control channel gave no answer for 300 s"
                            _thread.interrupt_main()
                            return
                    _, reply = kc.session.recv(sock, mode=0)
                    if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                        self.pongs += 1
                        break
                # 20 requests a second: each also publishes two status messages on IOPub, and a faster flood would
                # overrun the test client's IOPub queue (ZeroMQ drops messages past it, the cell's reply among them)
                time.sleep(0.05)
        finally:
            sock.close()


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    failures = 0
    for i in range(1, runs + 1):
        suite = unittest.TestSuite([PingingMemoryTests(
            "test_1_heap_filled_by_a_variable_fails_the_cell_alone_and_the_user_can_free_it")])
        start = time.time()
        test = suite._tests[0]
        try:
            result = unittest.TextTestRunner(stream=open("/dev/null", "w")).run(suite)
            ok = result.wasSuccessful()
            detail = "" if ok else ": " + (result.errors + result.failures)[0][1].strip().splitlines()[-1]
        except KeyboardInterrupt:  # from the pinger: the kernel lost a thread
            ok, detail = False, ": " + str(test.silent)
            test.stop.set()
            PingingMemoryTests.tearDownClass()
        failures += not ok
        print("run %d: %s in %.0f s%s" % (i, "ok" if ok else "FAILED", time.time() - start, detail), flush=True)
    print("%d of %d runs failed" % (failures, runs))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
