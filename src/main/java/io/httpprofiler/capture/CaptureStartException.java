package io.httpprofiler.capture;

/** Capture cannot start; the message is one line naming the cause and the fix, fit to show a user as is. */
public final class CaptureStartException extends RuntimeException {
    public CaptureStartException(String message) {
        super(message);
    }
}
