package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the TLS tests share: a self-signed certificate made with openssl for each run, TLS servers and clients as small
 * python3 and node scripts (the real libraries: python's ssl module is OpenSSL's libssl.so.3, node carries its own
 * OpenSSL in its executable), and assertions on the TLS mark.
 */
final class TlsFixtures {
    static final String PYTHON = "python3";
    static final String NODE = "/usr/bin/node";

    /**
     * An HTTPS server on 127.0.0.1:port: http.server wrapped with ssl, threads per connection, HTTP/1.1 keep-alive. GET
     * /size/N answers N bytes; POST answers what it read; GET anything else answers the path.
     */
    static final String PYTHON_SERVER = """
            import http.server, ssl, sys
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = 'HTTP/1.1'
                def log_message(self, *args): pass
                def answer(self, body, kind='text/plain'):
                    self.send_response(200)
                    self.send_header('Content-Type', kind)
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def do_GET(self):
                    if self.path.startswith('/size/'):
                        self.answer(b'x' * int(self.path[6:]), 'application/octet-stream')
                    else:
                        self.answer(('python saw ' + self.path + '\\n').encode())
                def do_POST(self):
                    body = self.rfile.read(int(self.headers['Content-Length']))
                    self.answer(b'python read ' + str(len(body)).encode() + b' bytes: ' + body[:32])
            server = http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2], sys.argv[3])
            server.socket = context.wrap_socket(server.socket, server_side=True)
            server.serve_forever()
            """;

    /** urllib over HTTPS (certificate not checked: it is self-signed): GET each target given, one connection each. */
    static final String PYTHON_CLIENT = """
            import ssl, sys, urllib.request
            context = ssl._create_unverified_context()
            for target in sys.argv[2:]:
                with urllib.request.urlopen('https://127.0.0.1:' + sys.argv[1] + target, context=context) as r:
                    print(r.status, len(r.read()))
            """;

    static final String NODE_SERVER = """
            const https = require('https'), fs = require('fs');
            https.createServer({key: fs.readFileSync(process.argv[3]), cert: fs.readFileSync(process.argv[4])},
              (req, res) => {
                let body = '';
                req.on('data', d => body += d);
                req.on('end', () => {
                  res.setHeader('Content-Type', 'text/plain');
                  res.end('node saw ' + req.method + ' ' + req.url + ' with ' + body.length + ' bytes\\n');
                });
              }).listen(+process.argv[2], '127.0.0.1');
            """;

    /** POSTs a short body to each target given, over one keep-alive agent, after DELAY_MS (default 0). */
    static final String NODE_CLIENT = """
            const https = require('https');
            const agent = new https.Agent({keepAlive: true, maxSockets: +(process.env.SOCKETS || 1)});
            async function post(path) {
              return new Promise((resolve, reject) => {
                const req = https.request({host: '127.0.0.1', port: +process.argv[2], path, method: 'POST', agent,
                    rejectUnauthorized: false, headers: {'Content-Type': 'text/plain'}}, res => {
                  let body = ''; res.on('data', d => body += d); res.on('end', () => resolve(res.statusCode + ' ' + body));
                });
                req.on('error', reject);
                req.end('hello from node to ' + path);
              });
            }
            // DELAY_MS: a program that starts, then talks (the profiler probes a new executable when it starts).
            // SOCKETS=n: all requests at once over n connections (one event loop serving several TLS sockets).
            setTimeout(async () => {
              const paths = process.argv.slice(3);
              if (process.env.SOCKETS) {
                (await Promise.all(paths.map(post))).forEach(line => console.log(line));
              } else {
                for (const path of paths) console.log(await post(path));
              }
              agent.destroy();
            }, +(process.env.DELAY_MS || 0));
            """;

    private TlsFixtures() {
    }

    /** A key and a self-signed certificate for 127.0.0.1 in dir: key.pem, cert.pem. */
    static void makeCertificate(Path dir) throws IOException, InterruptedException {
        assumeCommand("openssl");
        E2e.run(dir.resolve("openssl.log"), Duration.ofSeconds(60), "openssl", "req", "-x509", "-newkey", "rsa:2048",
                "-nodes", "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(),
                "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1");
    }

    static void assumeCommand(String command) {
        boolean present = command.startsWith("/") ? Files.isExecutable(Path.of(command))
                : List.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")).stream()
                        .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
        if (!present) {
            System.err.println("SKIPPED: " + command + " missing (scripts/setup.sh installs it)");
        }
        Assumptions.assumeTrue(present, command + " not installed");
    }

    /** A script written to dir and started with its interpreter; output to dir/name.log. */
    static Process startScript(Path dir, String interpreter, String name, String script, String... args)
            throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, script);
        List<String> command = new ArrayList<>(List.of(interpreter, file.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }

    /** Runs a script to completion (exit 0 expected). */
    static Process runScript(Path dir, String interpreter, String name, String script, String... args)
            throws IOException, InterruptedException {
        Process process = startScript(dir, interpreter, name, script, args);
        if (!process.waitFor(60L * E2e.SLOWDOWN, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        assertEquals(0, process.exitValue(), () -> name + " failed: " + read(dir.resolve(name + ".log")));
        return process;
    }

    static Process startPythonServer(Path dir, int port) throws IOException, InterruptedException {
        Process server = startScript(dir, PYTHON, "tls_server_" + port + ".py", PYTHON_SERVER, Integer.toString(port),
                dir.resolve("cert.pem").toString(), dir.resolve("key.pem").toString());
        E2e.awaitListening(port, server, Duration.ofSeconds(20L * E2e.SLOWDOWN));
        return server;
    }

    static void stop(Process process) throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /** The record says its bytes came in plaintext from this TLS library. */
    static void assertTls(JsonNode exchange, String library) {
        assertEquals(library, exchange.path("tls").path("library").asText(null), () -> "TLS library of " + exchange);
    }

    /** The transcript block of the exchange with this target and role is marked TLS in its header line. */
    static void assertTranscriptMarksTls(String transcript, String role, String target) {
        String[] blocks = transcript.split("\n\n");
        boolean found = false;
        for (String block : blocks) {
            String[] lines = block.strip().split("\n");
            if (lines.length > 1 && lines[0].contains(") " + role + " ") && lines[1].contains(" " + target + " ")) {
                assertTrue(lines[0].matches(".* fd \\d+  TLS( .*)?"), () -> "header line without TLS: " + lines[0]);
                found = true;
            }
        }
        assertTrue(found, () -> "no " + role + " block for " + target + " in the transcript:\n" + transcript);
    }
}
