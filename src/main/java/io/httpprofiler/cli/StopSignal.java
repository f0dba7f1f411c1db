package io.httpprofiler.cli;

import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGINT and SIGTERM ask the capture loop to stop instead of killing the JVM, so pending exchanges get flushed and the
 * process exits 0. (A shutdown hook would race the flush and exit with 130/143.)
 */
final class StopSignal {
    private final AtomicBoolean stopRequested = new AtomicBoolean();

    StopSignal install() {
        for (String name : new String[]{"INT", "TERM"}) {
            Signal.handle(new Signal(name), signal -> stopRequested.set(true));
        }
        return this;
    }

    boolean requested() {
        return stopRequested.get();
    }

    void request() {
        stopRequested.set(true);
    }
}
