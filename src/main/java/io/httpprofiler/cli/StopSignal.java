package io.httpprofiler.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGINT and SIGTERM ask the capture loop to stop instead of killing the JVM, so pending exchanges get flushed and the
 * process exits 0. (A shutdown hook would race the flush and exit with 130/143.)
 */
final class StopSignal {
    private static final int SIGINT = 2;

    /** libc's signal(2), only to undo an inherited "ignore". */
    private interface Posix extends Library {
        Pointer signal(int signal, Pointer handler);
    }

    private final AtomicBoolean stopRequested = new AtomicBoolean();

    StopSignal install() {
        // A shell starts background jobs (`java -jar ... &` in a script) with SIGINT ignored, and the JVM then leaves it
        // ignored: `kill -INT` would do nothing. A profiler is stopped with SIGINT as often as with SIGTERM, so take it
        // back (SIG_DFL is 0) before handling it.
        Native.load("c", Posix.class).signal(SIGINT, Pointer.NULL);
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
