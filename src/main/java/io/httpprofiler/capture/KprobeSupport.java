package io.httpprofiler.capture;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this kernel can attach kprobes at all. libbpf attaches them through the kprobe perf PMU, or on older kernels
 * through tracefs kprobe_events; a kernel built without CONFIG_KPROBE_EVENTS has neither.
 */
final class KprobeSupport {
    private KprobeSupport() {
    }

    /** Null when kprobes may attach, else why they cannot. */
    static String missingReason() {
        boolean pmu = Files.exists(Path.of("/sys/bus/event_source/devices/kprobe/type"));
        boolean tracefs = Files.exists(Path.of("/sys/kernel/tracing/kprobe_events"))
                || Files.exists(Path.of("/sys/kernel/debug/tracing/kprobe_events"));
        return pmu || tracefs ? null : "this kernel has no kprobe support: no kprobe PMU, no kprobe_events";
    }
}
