package io.httpprofiler.capture;

/**
 * What a connection generation carries as far as TLS goes, when it carries TLS at all.
 *
 * @param kind    where its bytes come from
 * @param library the probed TLS library (e.g. {@code libssl.so.3}, or an executable's name when it carries the library
 *                itself); null for {@link Kind#CIPHERTEXT}
 */
public record TlsMark(Kind kind, String library) {
    public enum Kind {
        /** The application's plaintext, read from the TLS library's calls. */
        PLAINTEXT,
        /** TLS records the probed library moved itself (its handshake): no bytes captured; plaintext follows. */
        HANDSHAKE,
        /** TLS records on the socket outside any probed library: a TLS implementation the probes do not reach. */
        CIPHERTEXT
    }

    public static final TlsMark CIPHERTEXT = new TlsMark(Kind.CIPHERTEXT, null);

    public static TlsMark plaintext(String library) {
        return new TlsMark(Kind.PLAINTEXT, library);
    }

    public static TlsMark handshake(String library) {
        return new TlsMark(Kind.HANDSHAKE, library);
    }

    /** The stream's bytes are plaintext. */
    public boolean decrypted() {
        return kind == Kind.PLAINTEXT;
    }
}
