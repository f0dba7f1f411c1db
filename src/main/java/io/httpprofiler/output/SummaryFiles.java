package io.httpprofiler.output;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes the summary's files whole each time: to a temporary file beside each, then renamed over it, so a reader never
 * sees half a table. Their mode is that of the other outputs.
 */
public final class SummaryFiles {
    private final Path text;
    private final Path json;
    private final Set<PosixFilePermission> mode;

    /** @param json null for no JSON summary */
    public SummaryFiles(Path text, Path json, Set<PosixFilePermission> mode) {
        this.text = text;
        this.json = json;
        this.mode = Set.copyOf(mode);
    }

    public void write(EndpointSummary summary, long nowNanos) throws IOException {
        replace(text, SummaryReport.text(summary, nowNanos).getBytes(StandardCharsets.UTF_8));
        if (json != null) {
            replace(json, SummaryReport.json(summary, nowNanos));
        }
    }

    private void replace(Path file, byte[] content) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temporary = Files.createTempFile(parent, "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(mode));
        try {
            Files.write(temporary, content);
            Files.setPosixFilePermissions(temporary, mode); // whatever the umask took away
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    public Path text() {
        return text;
    }
}
