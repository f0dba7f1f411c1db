package io.httpprofiler.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Network namespace identity as the kernel reports it: the inode number behind /proc/PID/ns/net ("net:[4026531840]"). */
public final class NetworkNamespace {
    private static final Pattern INODE = Pattern.compile("net:\\[(\\d+)]");

    private NetworkNamespace() {
    }

    public static long inodeOf(String pid) {
        Path link = Path.of("/proc", pid, "ns", "net");
        try {
            Matcher m = INODE.matcher(Files.readSymbolicLink(link).toString());
            if (!m.matches()) {
                throw new IllegalStateException("unexpected " + link + " target");
            }
            return Long.parseLong(m.group(1));
        } catch (IOException e) {
            throw new CaptureStartException("cannot read " + link + " to find the network namespace: " + e.getMessage());
        }
    }

    public static long self() {
        return inodeOf("self");
    }
}
