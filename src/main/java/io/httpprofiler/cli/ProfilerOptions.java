package io.httpprofiler.cli;

import io.httpprofiler.capture.AttachMode;
import io.httpprofiler.capture.ContainerLookup;
import io.httpprofiler.export.ExportSettings;

import java.nio.file.Path;
import java.util.Set;

/** Validated command line options. */
record ProfilerOptions(Path output, Path json, Set<Integer> ports, Set<Integer> pids, Set<String> comms,
                       boolean ownNetnsOnly, int maxBody, AttachMode attachMode, Double durationSeconds,
                       int ringBytes, double statsIntervalSeconds, long maxFileSize, int maxFiles,
                       ExportSettings export, ContainerLookup.Found container) {
}
