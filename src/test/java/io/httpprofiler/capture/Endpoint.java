package io.httpprofiler.capture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One end of a TCP connection in this JVM, over a blocking {@link Socket} or {@link SocketChannel}, that records every
 * call it makes in a {@link SocketCallLog} and knows what the probe should report for it: role, tuple, the real fd (read
 * from /proc while the socket is open) and the tids of the threads that set it up and closed it.
 *
 * <p>Each method maps to known system calls: a blocking channel's {@code write}/{@code read} is one write(2)/read(2),
 * its array forms one writev(2)/readv(2); a {@code Socket} stream's write of up to 128 KiB is one write(2) (larger
 * ones are cut into 128 KiB calls by the JDK) and its read one read(2).
 */
final class Endpoint implements AutoCloseable {
    private static final int SOCKET_STREAM_MAX_CALL = 128 * 1024;

    final Role role;
    final InetSocketAddress local;
    final InetSocketAddress remote;
    final int fd;
    /** tid of the thread that called connect() or accept(). */
    final int setupTid;
    final SocketCallLog callLog = new SocketCallLog();
    private final Socket socket;
    private final SocketChannel channel;
    private int closeTid = -1;

    private Endpoint(Role role, Socket socket, SocketChannel channel, int setupTid) {
        this.role = role;
        this.socket = socket;
        this.channel = channel;
        this.setupTid = setupTid;
        Socket s = socket != null ? socket : channel.socket();
        this.local = (InetSocketAddress) s.getLocalSocketAddress();
        this.remote = (InetSocketAddress) s.getRemoteSocketAddress();
        this.fd = ProcFs.fdOfTcpConnection(local.getPort(), remote.getPort());
    }

    static Endpoint of(Socket socket, Role role, int setupTid) {
        return new Endpoint(role, socket, null, setupTid);
    }

    static Endpoint of(SocketChannel channel, Role role, int setupTid) {
        return new Endpoint(role, null, channel, setupTid);
    }

    /** Writes all of {@code bytes}: one write(2) unless the kernel takes less. */
    void send(byte[] bytes) {
        try {
            if (socket != null) {
                if (bytes.length > SOCKET_STREAM_MAX_CALL) {
                    throw new IllegalArgumentException("the JDK would cut this into several calls");
                }
                socket.getOutputStream().write(bytes);
                callLog.sent(bytes, 0, bytes.length);
            } else {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    int at = buffer.position();
                    int n = channel.write(buffer);
                    callLog.sent(bytes, at, n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a direct buffer's remaining bytes straight from native memory: one write(2) of all of them, normally. */
    void sendDirect(ByteBuffer direct) {
        requireChannel();
        try {
            while (direct.hasRemaining()) {
                int at = direct.position();
                int n = channel.write(direct);
                byte[] moved = new byte[n];
                direct.get(at, moved);
                callLog.sent(moved, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a file's bytes with sendfile(2) (FileChannel.transferTo to a socket): they never pass through user memory. */
    void sendFile(Path file) {
        requireChannel();
        try (FileChannel in = FileChannel.open(file)) {
            long size = in.size();
            byte[] bytes = Files.readAllBytes(file);
            for (long done = 0; done < size; ) {
                int n = (int) in.transferTo(done, size - done, channel);
                callLog.sent(bytes, (int) done, n);
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Gathering write: one writev(2) with one iovec per segment (repeated only if the kernel takes less). */
    void sendGathering(byte[]... segments) {
        requireChannel();
        ByteBuffer[] buffers = Arrays.stream(segments).map(ByteBuffer::wrap).toArray(ByteBuffer[]::new);
        byte[] all = concat(segments);
        int done = 0;
        try {
            while (done < all.length) {
                int n = (int) channel.write(buffers);
                callLog.sent(all, done, n);
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads exactly {@code length} bytes, asking for at most {@code bufferSize} per read(2). */
    byte[] receive(int length, int bufferSize) {
        byte[] all = new byte[length];
        int done = 0;
        try {
            while (done < length) {
                int want = Math.min(bufferSize, length - done);
                int n;
                if (socket != null) {
                    n = socket.getInputStream().read(all, done, want);
                } else {
                    n = channel.read(ByteBuffer.wrap(all, done, want));
                }
                if (n < 0) {
                    throw new IllegalStateException("EOF after " + done + " of " + length + " bytes");
                }
                callLog.received(all, done, n);
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    /** Reads exactly {@code length} bytes with scattering reads: each one readv(2) into buffers of these sizes. */
    byte[] receiveScattering(int length, int... bufferSizes) {
        requireChannel();
        byte[] all = new byte[length];
        int done = 0;
        try {
            while (done < length) {
                ByteBuffer[] buffers = new ByteBuffer[bufferSizes.length];
                int room = length - done;
                for (int i = 0; i < buffers.length; i++) {
                    buffers[i] = ByteBuffer.allocate(Math.min(bufferSizes[i], Math.max(room, 0)));
                    room -= buffers[i].capacity();
                }
                int n = (int) channel.read(buffers);
                if (n < 0) {
                    throw new IllegalStateException("EOF after " + done + " of " + length + " bytes");
                }
                int at = done;
                for (ByteBuffer b : buffers) {
                    b.flip();
                    b.get(all, at, b.remaining());
                    at += b.limit();
                }
                callLog.received(all, done, n);
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    /** tid of the thread that closed this end, or -1 while open. */
    int closeTid() {
        return closeTid;
    }

    @Override
    public void close() {
        if (closeTid != -1) {
            return;
        }
        closeTid = ProcFs.currentTid();
        try {
            if (socket != null) {
                socket.close();
            } else {
                channel.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return role.label() + " " + local + " <-> " + remote + " fd " + fd;
    }

    private void requireChannel() {
        if (channel == null) {
            throw new IllegalStateException("needs a SocketChannel end");
        }
    }

    static byte[] concat(byte[]... parts) {
        int total = 0;
        for (byte[] p : parts) {
            total += p.length;
        }
        byte[] all = new byte[total];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
