package io.httpprofiler.capture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the kernel says about this process, read the way ps, ss and lsof read it: used to check the probe's pid, tid,
 * fd and comm against the real ones without reflection into the JDK's socket classes.
 */
final class ProcFs {
    private ProcFs() {
    }

    static int pid() {
        return (int) ProcessHandle.current().pid();
    }

    /** The calling thread's kernel tid: /proc/thread-self links to "PID/task/TID". */
    static int currentTid() {
        try {
            return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The thread group leader's comm, which the probe reports as the command. */
    static String comm() {
        try {
            return Files.readString(Path.of("/proc/self/comm")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The fd this process holds for the TCP connection with these ports: /proc/net/tcp{,6} maps the port pair to a
     * socket inode, and one of /proc/self/fd/* links to "socket:[inode]". Only valid while the socket is open.
     */
    static int fdOfTcpConnection(int localPort, int remotePort) {
        long inode = socketInode(localPort, remotePort);
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(target)) {
                        return Integer.parseInt(fd.getFileName().toString());
                    }
                } catch (IOException closedMeanwhile) {
                    // e.g. the directory stream's own fd: not ours to check
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no fd of this process refers to " + target);
    }

    private static long socketInode(int localPort, int remotePort) {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of(table));
            } catch (IOException e) {
                continue; // no IPv6 in this kernel
            }
            for (String line : lines.subList(1, lines.size())) {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
                String[] fields = line.trim().split("\\s+");
                long inode = Long.parseLong(fields[9]);
                if (inode != 0 && port(fields[1]) == localPort && port(fields[2]) == remotePort) {
                    return inode;
                }
            }
        }
        throw new IllegalStateException("no TCP socket " + localPort + " -> " + remotePort + " in /proc/net/tcp{,6}");
    }

    private static int port(String hexAddressAndPort) {
        return Integer.parseInt(hexAddressAndPort.substring(hexAddressAndPort.lastIndexOf(':') + 1), 16);
    }
}
