package io.httpprofiler.cli;

import java.io.PrintStream;

/** Placeholder until the HTTP pipeline is wired in. */
final class ProfilerRun {
    private final PrintStream log;

    ProfilerRun(ProfilerOptions options, PrintStream log) {
        this.log = log;
    }

    int execute() {
        log.println("http-profiler: not wired yet");
        return 1;
    }
}
