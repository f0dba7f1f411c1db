package io.httpprofiler.cli;

import io.httpprofiler.capture.AttachMode;
import io.httpprofiler.capture.ContainerLookup;
import io.httpprofiler.export.ExportSettings;
import io.httpprofiler.redact.RedactionRules;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Validated command line options.
 *
 * @param redaction what to redact, or null for {@code --no-redact}
 * @param har       HAR file, or null
 * @param summaryJson the summary as JSON, or null (the text summary is always written beside the transcript)
 * @param progressAfterSeconds exchanges open this long are reported in progress; 0 for never
 * @param jsonProgress         progress reports go to the JSON Lines too
 */
record ProfilerOptions(Path output, Path json, Set<Integer> ports, Set<Integer> pids, Set<String> comms,
                       boolean ownNetnsOnly, int maxBody, AttachMode attachMode, Double durationSeconds,
                       int ringBytes, double statsIntervalSeconds, long maxFileSize, int maxFiles,
                       RedactionRules redaction, Set<PosixFilePermission> fileMode, Path har, Path summaryJson,
                       double summaryIntervalSeconds, boolean tls, ExportSettings export,
                       ContainerLookup.Found container, double progressAfterSeconds, boolean jsonProgress) {
}
