package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dlcourse.kernel.NotebookRunner;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/**
 * The main job ({@code notebooks/00-tour.ipynb}) and the library tour ({@code notebooks/01-library.ipynb}) in
 * quick mode, in-process through the runner: no errors, the expected tables and charts, sane numbers.
 */
class TourIT {

    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    private static Path root() {
        return Path.of(System.getProperty("dlcourse.root", "..")).toAbsolutePath().normalize();
    }

    /** Result of one quick run: the runner's exit status and log, the executed notebook, its output folder. */
    private record Executed(int exit, String log, JsonObject nb, Path out, double seconds) {
        List<JsonObject> outputs() {
            List<JsonObject> all = new ArrayList<>();
            for (JsonElement c : nb.getAsJsonArray("cells")) {
                JsonObject cell = c.getAsJsonObject();
                if (cell.has("outputs")) {
                    cell.getAsJsonArray("outputs").forEach(o -> all.add(o.getAsJsonObject()));
                }
            }
            return all;
        }

        long count(String mime) {
            return outputs().stream().filter(o -> o.has("data") && o.getAsJsonObject("data").has(mime)).count();
        }

        String stdout() {
            StringBuilder s = new StringBuilder();
            outputs().stream().filter(o -> o.get("output_type").getAsString().equals("stream")
                    && o.get("name").getAsString().equals("stdout")).forEach(o -> s.append(o.get("text").getAsString()));
            return s.toString();
        }

        List<String> errors() {
            return outputs().stream().filter(o -> o.get("output_type").getAsString().equals("error"))
                    .map(o -> o.get("ename").getAsString() + ": " + o.get("evalue").getAsString()).toList();
        }

        /** A table the runner wrote as CSV. */
        Table csv(String name) throws Exception {
            Path p = out.resolve(name);
            assertTrue(Files.exists(p), "table " + name + " was not written; tables: " + listing(p.getParent()));
            return Table.read().csv(p.toFile());
        }

        private static String listing(Path dir) throws Exception {
            try (var s = Files.list(dir)) {
                return s.map(x -> x.getFileName().toString()).toList().toString();
            }
        }
    }

    private static Executed runQuick(String notebook, Path out) throws Exception {
        Path nb = root().resolve("notebooks").resolve(notebook);
        // The offline mirror, as .ci/run sets it, unless the environment already names a data folder.
        Path mirror = root().resolve("../shared/data").normalize();
        boolean setData = System.getenv("DLCOURSE_DATA") == null && System.getProperty("dlcourse.data") == null
                && Files.isDirectory(mirror);
        if (setData) {
            System.setProperty("dlcourse.data", mirror.toString());
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        int exit;
        try (PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            exit = NotebookRunner.main(new String[] {nb.toString(), "--quick", "--out", out.toString()}, ps);
        } finally {
            if (setData) {
                System.clearProperty("dlcourse.data");
            }
            // ND4J frees native buffers only when their Java owners are collected; the notebook's session is closed
            // now, so collect before the next notebook runs in this JVM.
            System.gc();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String name = notebook.replaceFirst("\\.ipynb$", "");
        JsonObject executed = JsonParser.parseString(Files.readString(out.resolve(notebook))).getAsJsonObject();
        System.out.printf("%s quick run: %.1f s%n", notebook, seconds);
        return new Executed(exit, log.toString(StandardCharsets.UTF_8), executed, out.resolve(name), seconds);
    }

    private static double col(Table t, int row, String column) {
        assertTrue(t.containsColumn(column), "no column " + column + " in " + t.columnNames());
        return t.numberColumn(column).getDouble(row);
    }

    @Test
    void tourRunsQuickWithTableChartsImagesArrayAndATrainedCnn() throws Exception {
        Path out = QuickRun.outDir("");
assumeTrue(Files.isDirectory(FASHION), "Fashion-MNIST is not installed in " + FASHION);
        Executed r = runQuick("00-tour.ipynb", out);
        assertEquals(0, r.exit(), r.log());
        assertTrue(r.log().startsWith("ok "), r.log());
        assertEquals(List.of(), r.errors());

        Table classes = r.csv("classes.csv");
        assertEquals(10, classes.rowCount(), "10 Fashion-MNIST classes");
        long images = 0;
        for (int i = 0; i < classes.rowCount(); i++) {
            images += (long) col(classes, i, "images");
        }
        assertEquals(2000, images, "quick mode trains on 2,000 images");

        assertTrue(r.count("text/html") >= 3, "class table, INDArray and model summary as HTML");
        assertTrue(r.count("image/png") >= 5, "bars, histogram, image grid, curve, predictions; got " + r.count("image/png"));
        assertTrue(r.outputs().stream().anyMatch(o -> o.has("data")
                && o.getAsJsonObject("data").has("text/plain")
                && o.getAsJsonObject("data").get("text/plain").getAsString().startsWith("array([[")),
                "the INDArray is rendered like numpy");
        String stdout = r.stdout();
        assertTrue(stdout.contains("train [") && stdout.contains("100%"), "progress bar lines: " + stdout);
        assertTrue(stdout.contains("epoch 1/1: train loss"), stdout);
        assertFalse(stdout.contains("PrintStream@"), "no PrintStream value is shown");

        double acc = col(r.csv("tour_result.csv"), 0, "test accuracy");
        // 16 steps of Adam on 2,000 images reach ~0.45-0.6 (chance 0.1); the band catches a model that does not learn.
        assertTrue(acc > 0.3 && acc <= 1.0, "quick-mode test accuracy " + acc);
        assertTrue(stdout.contains(String.format("Test accuracy after 1 epoch(s): %.3f", acc)),
                "the sentence quotes the measured accuracy: " + stdout);
    }

    @Test
    void libraryTourRunsQuickAndEachPartGivesSaneNumbers() throws Exception {
        Path out = QuickRun.outDir("");
assumeTrue(Files.isDirectory(FASHION), "Fashion-MNIST is not installed in " + FASHION);
        Path data = System.getenv("DLCOURSE_DATA") != null ? Path.of(System.getenv("DLCOURSE_DATA"))
                : root().resolve("../shared/data").normalize();
        assumeTrue(Files.exists(data.resolve("circles.mat")), "the offline data mirror is not in " + data);
        Executed r = runQuick("01-library.ipynb", out);
        assertEquals(0, r.exit(), r.log());
        assertEquals(List.of(), r.errors());
        String stdout = r.stdout();

        // data
        assertTrue(stdout.contains("The CIFAR binary round trip is exact"), stdout);
        assertTrue(stdout.contains("3 size groups [32x32, 48x48, 64x64]"), stdout);
        assertTrue(stdout.contains("the input is left unchanged"), stdout);
        assertTrue(stdout.contains("split sizes 1600 + 400") && stdout.contains("differs from epoch 1's"), stdout);
        // nn
        Table init = r.csv("init.csv");
        assertEquals(4, init.rowCount());
        for (int i = 0; i < init.rowCount(); i++) {
            double m = col(init, i, "measured std");
            double e = col(init, i, "expected std");
            assertEquals(e, m, 0.05 * e, "init scheme " + init.stringColumn("scheme").get(i));
        }
        assertTrue(r.csv("Sequential_summary.csv").stringColumn("type").contains("BatchNorm2d"));
        // train
        Table optimizers = r.csv("optimizers.csv");
        assertEquals(7, optimizers.rowCount(), "7 optimizers");
        for (int i = 0; i < optimizers.rowCount(); i++) {
            double loss = col(optimizers, i, "train loss");
            // cross-entropy of 2 classes starts near ln 2 = 0.69; every optimizer must have moved and stayed finite
            assertTrue(loss > 0 && loss < 0.8, optimizers.stringColumn("optimizer").get(i) + " train loss " + loss);
        }
        assertTrue(stdout.contains("between their losses is 0.0e+00: the same computation"), "hand-written loop vs Trainer: " + stdout);
        assertTrue(stdout.contains("0.1000 after"), "clipped gradient norm: " + stdout);
        assertTrue(stdout.contains("logits differ by at most 0.0e+00"), "checkpoint round trip: " + stdout);
        assertTrue(stdout.contains("BLEU-4 0.5046"), stdout);
        Table cm = r.csv("confusion_matrix.csv");
        assertEquals(10, cm.rowCount());
        long total = 0;
        long diagonal = 0;
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 10; j++) {
                long v = (long) cm.numberColumn(j + 1).getDouble(i);
                total += v;
                diagonal += i == j ? v : 0;
            }
        }
        assertEquals(2000, total, "confusion matrix over the 2,000 test images");
        assertTrue(diagonal / (double) total > 0.25, "quick-mode CNN accuracy " + diagonal / (double) total);
        Table summary = r.csv("summary.csv");
        assertEquals(2, summary.rowCount(), "hidden 2 and 16");
        for (int i = 0; i < summary.rowCount(); i++) {
            assertEquals(3, (int) col(summary, i, "n"), "three seeds per setting");
            double std = col(summary, i, "val_acc_std");
            assertTrue(std >= 0 && std < 0.5, "std " + std);
        }
        // CIFAR and Boxes grids, transforms, padding modes, two curves, schedules, bars, heatmap, boundary, filters
        assertEquals(11, r.count("image/png"), "charts and images");
    }
}
