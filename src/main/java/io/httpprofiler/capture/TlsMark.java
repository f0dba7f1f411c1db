package io.httpprofiler.capture;

/**
 * What a connection generation carries as far as TLS goes, when it carries TLS at all.
 *
 * @param decrypted true when the stream's bytes are the application's plaintext, taken from the TLS library; false when
 *                  only TLS records were seen on the socket (a TLS implementation the probes do not reach, or a
 *                  handshake whose plaintext has not started yet): no bytes of it are captured
 * @param library   the TLS library the plaintext comes from (e.g. {@code libssl.so.3}, or an executable's name when
 *                  it carries the library itself); null when not decrypted
 */
public record TlsMark(boolean decrypted, String library) {
    /** TLS records on the socket, no plaintext. */
    public static final TlsMark CIPHERTEXT = new TlsMark(false, null);

    public static TlsMark plaintext(String library) {
        return new TlsMark(true, library);
    }
}
