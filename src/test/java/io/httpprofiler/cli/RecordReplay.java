package io.httpprofiler.cli;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.EventDecoder;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a {@link RecordLog} file back: the decoded events and the expiry ticks, in the order the pipeline got them. */
public final class RecordReplay {
    /** What the capture loop did, one step at a time. */
    public interface Steps {
        void event(CaptureEvent event);

        void expire(long nowNanos);
    }

    private RecordReplay() {
    }

    public static void replay(Path file, Steps steps) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            EventDecoder decoder = new EventDecoder(in.readLong());
            while (true) {
                int tag;
                try {
                    tag = in.readUnsignedByte();
                } catch (EOFException end) {
                    return;
                }
                if (tag == 'R') {
                    byte[] bytes = new byte[in.readInt()];
                    in.readFully(bytes);
                    CaptureEvent event = decoder.decode(ByteBuffer.wrap(bytes));
                    if (event != null) {
                        steps.event(event);
                    }
                } else if (tag == 'E') {
                    steps.expire(in.readLong());
                } else {
                    throw new IOException("bad tag " + tag);
                }
            }
        }
    }
}
