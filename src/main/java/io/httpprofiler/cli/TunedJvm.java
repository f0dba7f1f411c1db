package io.httpprofiler.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The same footprint however the profiler is started. {@code bin/jvm.options} holds the JVM settings it is measured
 * with (a 64 MB heap, the serial collector, ...); the launcher script and the container image pass that file to the
 * JVM. A plain {@code java -jar http-profiler.jar}, the start the README and most users type, would otherwise get a
 * JVM sized to the host: on a 24 GiB machine 338 MB and 66 us of CPU per request against 94 MB and 40 us.
 *
 * <p>So a plain start replaces itself, before doing anything else, with the same command plus those settings (the jar
 * carries a copy of the file): {@code execv(2)} on this process, so the process id, its standard streams, working
 * directory and environment stay what the user started, and signals sent to it reach the profiler. It is left as it
 * is when the settings are already in force (the file sets {@value #APPLIED_PROPERTY}), when the user chose a heap size
 * ({@code -Xmx} and the like, also in {@code JAVA_TOOL_OPTIONS}), when {@code HTTP_PROFILER_JVM=as-is} is set, or when
 * not started from the jar ({@code -cp}, tests).
 */
final class TunedJvm {
    /** Set by bin/jvm.options: its settings are in force. */
    static final String APPLIED_PROPERTY = "httpprofiler.jvm-options";
    /** Set to {@value #AS_IS} to keep the JVM as started. */
    static final String ENVIRONMENT = "HTTP_PROFILER_JVM";
    static final String AS_IS = "as-is";
    private static final String OPTIONS_RESOURCE = "jvm.options";
    /** Options by which a user sizes the heap: theirs to choose, so the settings are not applied over them. */
    private static final List<String> HEAP_CHOICES = List.of("-Xmx", "-XX:MaxHeapSize", "-XX:MaxRAM",
            "-XX:MaxRAMPercentage", "-XX:MaxRAMFraction");

    private interface Exec extends Library {
        /** argv: JNA passes a String[] as a NULL-terminated char*[]. */
        int execv(String path, String[] argv);
    }

    private TunedJvm() {
    }

    /**
     * Replaces this JVM with a tuned one running the same jar with {@code args}, when {@link #wanted} says so. Returns
     * only if it does not (or the exec failed: then the reason is said in one line and this JVM carries on).
     */
    static void applyIfPlain(String[] args, PrintStream log) {
        List<String> commandLine = commandLine();
        int jarAt = commandLine.indexOf("-jar");
        if (jarAt < 1 || jarAt + 1 >= commandLine.size()) {
            return; // not started by `java ... -jar FILE`
        }
        List<String> jvmArguments = commandLine.subList(1, jarAt);
        List<String> chosen = new ArrayList<>(jvmArguments);
        for (String variable : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
            String value = System.getenv(variable);
            if (value != null) {
                chosen.addAll(Arrays.asList(value.trim().split("\\s+")));
            }
        }
        if (!wanted(System.getProperty(APPLIED_PROPERTY), System.getenv(ENVIRONMENT), chosen)) {
            return;
        }
        List<String> options;
        try (InputStream in = TunedJvm.class.getResourceAsStream(OPTIONS_RESOURCE)) {
            if (in == null) {
                return; // a jar built without it: nothing to apply
            }
            options = options(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList());
        } catch (IOException e) {
            return;
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = command(java, options, jvmArguments, commandLine.get(jarAt + 1), args);
        System.out.flush();
        System.err.flush();
        int result = Native.load("c", Exec.class).execv(java.toString(), command.toArray(String[]::new));
        // Only reached when the exec failed.
        log.println("http-profiler: could not restart the JVM with bin/jvm.options' settings (errno "
                + Native.getLastError() + "); running with the JVM's defaults (result " + result + ")");
    }

    /** This process's command line as started, from /proc (empty if unreadable). */
    private static List<String> commandLine() {
        try {
            byte[] bytes = Files.readAllBytes(Path.of("/proc/self/cmdline"));
            String all = new String(bytes, StandardCharsets.UTF_8);
            return Arrays.asList(all.endsWith("\0") ? all.substring(0, all.length() - 1).split("\0", -1)
                    : all.split("\0", -1));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** Whether to apply the settings: none in force, no heap size chosen, no opt-out. */
    static boolean wanted(String appliedProperty, String environment, List<String> jvmArguments) {
        if (appliedProperty != null || AS_IS.equals(environment)) {
            return false;
        }
        return jvmArguments.stream().noneMatch(argument -> HEAP_CHOICES.stream().anyMatch(argument::startsWith));
    }

    /** The JVM options of an options file: one per line, {@code #} starts a comment, blank lines ignored. */
    static List<String> options(List<String> lines) {
        List<String> options = new ArrayList<>();
        for (String line : lines) {
            String option = line.strip();
            if (!option.isEmpty() && !option.startsWith("#")) {
                options.add(option);
            }
        }
        return options;
    }

    /**
     * The tuned command: the file's options first, then whatever the user gave this JVM (their own -D and -XX flags
     * win over the file's), then the jar and the profiler's arguments. Options this JVM does not know (a flag newer
     * than its update) are ignored rather than fatal.
     */
    static List<String> command(Path java, List<String> options, List<String> jvmArguments, String jar, String[] args) {
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.add("-XX:+IgnoreUnrecognizedVMOptions");
        command.addAll(options);
        command.add("-D" + APPLIED_PROPERTY + "=applied"); // whatever the file says: never a second restart
        command.addAll(jvmArguments);
        command.add("-jar");
        command.add(jar);
        command.addAll(List.of(args));
        return command;
    }

}
