package io.httpprofiler.capture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Tracefs#ensureMounted} against a fake root and a fake mounter: no real mount is attempted. */
class TracefsTest {
    private static final String MESSAGE = "tracefs is not mounted at /sys/kernel/tracing: run `mount -t tracefs nodev"
            + " /sys/kernel/tracing`, or in a container add -v /sys/kernel/tracing:/sys/kernel/tracing";

    @TempDir
    Path root;
    private final List<String> mountedAt = new ArrayList<>();

    @Test
    void alreadyMountedNeedsNoMount() throws IOException {
        Files.createDirectories(root.resolve("sys/kernel/tracing/events/syscalls"));
        Tracefs.ensureMounted(root, this::refuse);
        assertTrue(mountedAt.isEmpty());
    }

    @Test
    void theOldDebugfsLocationCountsToo() throws IOException {
        Files.createDirectories(root.resolve("sys/kernel/debug/tracing/events/syscalls"));
        Tracefs.ensureMounted(root, this::refuse);
        assertTrue(mountedAt.isEmpty());
    }

    @Test
    void mountsItWhenAllowed() {
        Tracefs.ensureMounted(root, target -> {
            mountedAt.add(target);
            try {
                Files.createDirectories(Path.of(target, "events/syscalls"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return true;
        });
        assertEquals(List.of(root.resolve("sys/kernel/tracing").toString()), mountedAt);
    }

    @Test
    void notMountedAndNotMountableSaysHowToFixIt() {
        CaptureStartException e = assertThrows(CaptureStartException.class, () -> Tracefs.ensureMounted(root,
                this::refuse));
        assertEquals(MESSAGE, e.getMessage());
        assertEquals(1, mountedAt.size(), "one attempt");
    }

    @Test
    void aMountThatSucceedsWithoutTracepointsIsNotEnough() {
        CaptureStartException e = assertThrows(CaptureStartException.class, () -> Tracefs.ensureMounted(root,
                target -> true));
        assertEquals(MESSAGE, e.getMessage());
    }

    private boolean refuse(String target) {
        mountedAt.add(target);
        return false;
    }
}
