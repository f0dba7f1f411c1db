package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * One request and its response, seen from one process's side of one connection.
 *
 * @param connection the connection (pid, fd, generation)
 * @param tid        thread that moved the request's first bytes (the response's, when no request was seen)
 * @param command    the process's name, or null when the connection's start was not seen
 * @param role       server when this process answered the request, client when it sent it
 * @param local      this process's address, or null when unknown
 * @param remote     the peer's address, or null when unknown
 * @param startNanos wall-clock epoch nanoseconds of the request's first byte (the response's, without a request)
 * @param endNanos   wall-clock epoch nanoseconds of the response's last byte; meaningless without a response
 * @param request    null only when the request was not seen or could not be parsed (see notes)
 * @param response   null when no response was seen
 * @param notes      what was lost, cut or unusual, e.g. {@code response not seen}, {@code capture gap}
 */
public record Exchange(ConnectionId connection, int tid, String command, Role role, InetSocketAddress local,
                       InetSocketAddress remote, long startNanos, long endNanos, HttpRequest request,
                       HttpResponse response, List<String> notes) {

    public int pid() {
        return connection.pid();
    }

    public int fd() {
        return connection.fd();
    }

    /** The same exchange with other request and response (e.g. with secrets redacted); everything else kept. */
    public Exchange withMessages(HttpRequest request, HttpResponse response) {
        return new Exchange(connection, tid, command, role, local, remote, startNanos, endNanos, request, response,
                notes);
    }

    /** From the request's first byte to the response's last byte; -1 without a response. */
    public long durationNanos() {
        return response == null ? -1 : Math.max(0, endNanos - startNanos);
    }
}
