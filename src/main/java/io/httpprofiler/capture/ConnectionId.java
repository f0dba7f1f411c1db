package io.httpprofiler.capture;

/**
 * Identity of one connection as the kernel side sees it. The generation (kernel monotonic ns when the connection was first
 * seen) separates a reused fd from its predecessor.
 */
public record ConnectionId(int pid, int fd, long generation) {
    @Override
    public String toString() {
        return "pid " + pid + " fd " + fd + " gen " + generation;
    }
}
