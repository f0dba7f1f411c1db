package io.httpprofiler.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An nginx of a test's own, living in the test's directory: one worker, no master, logs, pid and temp files under dir,
 * and the test's own lines inside the {@code http} block (its {@code server} blocks and any http-level settings).
 * Started and listening on every port given when {@link #start} returns; the caller stops the process.
 */
final class NginxProcess {
    static final String BINARY = "/usr/sbin/nginx";

    private NginxProcess() {
    }

    /** {@code httpLines}: what goes inside {@code http { }} beside the common lines, already formatted. */
    static Process start(Path dir, String httpLines, int... ports) throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("tmp"));
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, """
                daemon off;
                master_process off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log info;
                events { worker_connections 256; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/tmp/body;
                    proxy_temp_path %1$s/tmp/proxy;
                    fastcgi_temp_path %1$s/tmp/fastcgi;
                    uwsgi_temp_path %1$s/tmp/uwsgi;
                    scgi_temp_path %1$s/tmp/scgi;
                    server_tokens off;
                %2$s
                }
                """.formatted(dir, httpLines.indent(4).stripTrailing()));
        Process nginx = new ProcessBuilder(BINARY, "-p", dir.toString(), "-c", conf.toString(), "-e",
                dir.resolve("error.log").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile()).start();
        for (int port : ports) {
            E2e.awaitListening(port, nginx, Duration.ofSeconds(20L * E2e.SLOWDOWN));
        }
        return nginx;
    }
}
