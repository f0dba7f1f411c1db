package io.httpprofiler.capture;

/** Why a marker record carries no bytes: {@code enum marker_reason} of bpf/http_probe.h. */
public enum MarkerReason {
    /** A record with data; for a marker, a reason this build does not know (treated as loss). */
    NONE,
    /** Sent with sendfile: the bytes never passed through user memory. */
    SENDFILE,
    /** Past the per-call capture cap. */
    CAPTURE_LIMIT,
    /** A body past --max-body that nobody keeps. */
    SKIPPED,
    /** User memory the kernel could not read. */
    UNREADABLE;

    static MarkerReason of(int code) {
        return switch (code) {
            case EventLayout.MARKER_SENDFILE -> SENDFILE;
            case EventLayout.MARKER_CAPTURE_LIMIT -> CAPTURE_LIMIT;
            case EventLayout.MARKER_SKIPPED -> SKIPPED;
            case EventLayout.MARKER_UNREADABLE -> UNREADABLE;
            default -> NONE;
        };
    }
}
