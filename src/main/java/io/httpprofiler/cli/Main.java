package io.httpprofiler.cli;

import picocli.CommandLine;

/** Entry point: {@code java -jar http-profiler.jar [options]}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        TunedJvm.applyIfPlain(args, System.err); // a plain `java -jar` continues as a JVM with bin/jvm.options
        System.exit(run(args));
    }

    /** Runs the command and returns its exit code (0 ok, 2 bad usage or capture cannot start, 1 unexpected failure). */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new ProfilerCommand());
        commandLine.setParameterExceptionHandler(Main::usageError);
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            System.err.println("http-profiler: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            e.printStackTrace();
            return 1;
        });
        return commandLine.execute(args);
    }

    /** One line naming the problem and where to look, not picocli's full usage dump. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        System.err.println("http-profiler: " + e.getMessage() + " (see --help)");
        return 2;
    }
}
