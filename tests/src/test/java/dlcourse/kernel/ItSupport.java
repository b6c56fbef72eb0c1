package dlcourse.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Shared helpers of the integration tests: the built kernel's class path, processes, a private Jupyter data dir. */
final class ItSupport {

    private ItSupport() {
    }

    static Path root() {
        return Path.of(System.getProperty("dlcourse.root", "..")).toAbsolutePath().normalize();
    }

    static Path notebooks() {
        return root().resolve("tests/src/test/resources/notebooks");
    }

    /** The class path the launcher uses: the packaged kernel jar and kernel-ext's dependency list. */
    static String kernelClasspath() throws IOException {
        Path dir = root().resolve("kernel-ext").resolve(System.getProperty("dlcourse.build.dir", "target"));
        Path jar = dir.resolve("dlcourse-kernel-0.1.0-SNAPSHOT.jar");
        Path cp = dir.resolve("classpath.txt");
        if (!Files.exists(jar) || !Files.exists(cp)) {
            throw new IllegalStateException("kernel-ext is not packaged in " + dir + "; run mvn verify from the root");
        }
        return jar + java.io.File.pathSeparator + Files.readString(cp).strip();
    }

    /** Result of a finished process. */
    static final class Run {
        final int exit;
        final String output;

        Run(int exit, String output) {
            this.exit = exit;
            this.output = output;
        }

        @Override
        public String toString() {
            return "exit " + exit + ":\n" + output;
        }
    }

    static Run run(List<String> command, Map<String, String> env, Path cwd, long timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(cwd.toFile());
        pb.environment().putAll(env);
        Path log = Files.createTempFile("dlcourse-it", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("timed out after " + timeoutSeconds + " s: " + command + "\n" + Files.readString(log));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        return new Run(p.exitValue(), out);
    }

    /** Runs {@code dlcourse.kernel.Main args...} in a fresh JVM, as the launcher does. */
    static Run main(Path cwd, long timeoutSeconds, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.awt.headless=true", "-cp", kernelClasspath(), Main.class.getName()));
        cmd.addAll(List.of(args));
        return run(cmd, Map.of(), cwd, timeoutSeconds);
    }

    /** Installs the kernelspec into {@code dataDir}/kernels (JUPYTER_DATA_DIR), as ./dlcourse install-kernel does. */
    static void installKernel(Path dataDir) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                kernelClasspath(), Main.class.getName(), "install-kernel", "--user");
        Run r = run(cmd, Map.of("JUPYTER_DATA_DIR", dataDir.toString()), root(), 120);
        if (r.exit != 0) {
            throw new AssertionError("install-kernel failed: " + r);
        }
    }

    static boolean python(String module) {
        try {
            return run(List.of("/usr/bin/python3", "-c", "import " + module), Map.of(), root(), 60).exit == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
