"""A LiveChart fed by Trainer.fit updates one display in place over the Jupyter protocol.

A cell that trains a small MLP for a few epochs with .monitor(LiveChart.of("loss", "accuracy").every(0)) sends
one display_data with a display_id and then update_display_data messages for that same id, each with a PNG.
"""
import unittest

from kernel_case import KernelTestCase

FIT = """
Init.manualSeed(0);
var train = Circles.make(200, 0.05, 0.5, 1);
var val = Circles.make(100, 0.05, 0.5, 2);
var model = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 2));
var chart = LiveChart.of("loss", "accuracy").every(0);
Trainer.of(model).optimizer(new Adam(model.parameters(), 0.05)).epochs(2).progress(false).verbose(false)
    .monitor(chart).fit(DataLoader.of(train).batchSize(20), DataLoader.of(val).batchSize(50));
"""


class LiveChartTests(KernelTestCase):
    def test_fit_updates_one_display_in_place(self):
        msgs = []
        reply = self.kc.execute_interactive(FIT, timeout=300, output_hook=msgs.append)
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        shown = [m for m in msgs if m["msg_type"] == "display_data"]
        updates = [m for m in msgs if m["msg_type"] == "update_display_data"]
        self.assertEqual(len(shown), 1, [m["msg_type"] for m in msgs])
        display_id = shown[0]["content"]["transient"]["display_id"]
        self.assertTrue(display_id)
        # 2 epochs x 10 steps and 2 validation points, every(0): the first step displays, every later point updates
        self.assertEqual(len(updates), 19 + 2)
        self.assertEqual({m["content"]["transient"]["display_id"] for m in updates}, {display_id})
        for m in shown + updates:
            self.assertTrue(m["content"]["data"]["image/png"])
        self.assertIn("20 steps", updates[-1]["content"]["data"]["text/plain"])


if __name__ == "__main__":
    unittest.main()
