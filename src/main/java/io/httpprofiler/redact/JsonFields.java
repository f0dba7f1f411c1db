package io.httpprofiler.redact;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Redacts the values of secret members in JSON text, as bytes, in one pass and without building a tree. A tokenizer,
 * not a validator: it goes on through whatever it does not understand, and a body cut short (at {@code --max-body})
 * still has the secret it was cut in replaced up to the cut. Several top-level values (JSON Lines, NDJSON) are fine.
 *
 * <p>A member is secret when its name is ({@link RedactionRules#isSecretField}, escapes such as {@code \u0070} undone
 * before judging). A secret member's string or number becomes the string {@code "[redacted N bytes]"}, N counting what
 * stood between the quotes (escapes as sent) or the number's digits. When its value is an object or array, every
 * string and number inside it is redacted the same way, whatever their names: {@code "token":{"value":"..."}}.
 */
final class JsonFields {
    /** Nesting deeper than this is followed without remembering which enclosing values were secret: all are. */
    static final int MAX_DEPTH = 256;

    private final RedactionRules rules;

    JsonFields(RedactionRules rules) {
        this.rules = rules;
    }

    /** The text with secret values replaced, or null when there is nothing to replace. */
    byte[] redact(byte[] json, Count count) {
        Scan scan = new Scan(json, count);
        scan.run();
        return scan.out == null ? null : scan.finish();
    }

    private final class Scan {
        private final byte[] in;
        private final Count count;
        /** Per open container: is it an object, and is everything in it secret. */
        private final boolean[] isObject = new boolean[MAX_DEPTH];
        private final boolean[] secret = new boolean[MAX_DEPTH];
        private int depth;
        /** In an object, the next string is a member name (else a value). */
        private boolean expectName;
        /** The member name just read was secret: its value is. */
        private boolean secretName;
        private ByteArrayOutputStream out;
        /** in[0, copied) is already in out (or needs no copying while out is null). */
        private int copied;

        Scan(byte[] in, Count count) {
            this.in = in;
            this.count = count;
        }

        void run() {
            int i = 0;
            while (i < in.length) {
                byte b = in[i];
                switch (b) {
                    case '{', '[' -> {
                        boolean inherited = valueIsSecret();
                        if (depth < MAX_DEPTH) {
                            isObject[depth] = b == '{';
                            secret[depth] = inherited;
                        }
                        depth++;
                        expectName = b == '{';
                        secretName = false;
                        i++;
                    }
                    case '}', ']' -> {
                        if (depth > 0) {
                            depth--;
                        }
                        expectName = false;
                        secretName = false;
                        i++;
                    }
                    case ',' -> {
                        expectName = inObject();
                        secretName = false;
                        i++;
                    }
                    case ':' -> {
                        expectName = false;
                        i++;
                    }
                    case '"' -> i = string(i);
                    case ' ', '\t', '\r', '\n' -> i++;
                    default -> i = scalar(i);
                }
            }
        }

        private boolean inObject() {
            return depth > 0 && (depth > MAX_DEPTH || isObject[depth - 1]);
        }

        private boolean containerIsSecret() {
            return depth > 0 && (depth > MAX_DEPTH || secret[depth - 1]);
        }

        private boolean valueIsSecret() {
            return secretName || containerIsSecret();
        }

        /** A string from its opening quote; returns the index after it. */
        private int string(int open) {
            int i = open + 1;
            boolean escaped = false;
            while (i < in.length) {
                byte b = in[i];
                if (b == '\\') {
                    escaped = true;
                    i += 2;
                } else if (b == '"') {
                    break;
                } else {
                    i++;
                }
            }
            int end = Math.min(i, in.length); // the closing quote, or the end of a cut body
            if (expectName) {
                String name = escaped ? unescape(open + 1, end)
                        : new String(in, open + 1, end - open - 1, StandardCharsets.UTF_8);
                secretName = rules.isSecretField(name);
                expectName = false;
            } else {
                if (valueIsSecret() && end > open + 1) {
                    replace(open + 1, end, end - open - 1, false);
                }
                secretName = false;
            }
            return end + 1;
        }

        /** A number, literal or stray bytes, up to the next delimiter. */
        private int scalar(int start) {
            int i = start;
            while (i < in.length) {
                byte b = in[i];
                if (b == ',' || b == '}' || b == ']' || b == ':' || b == '"' || b == ' ' || b == '\t' || b == '\r'
                        || b == '\n' || b == '{' || b == '[') {
                    break;
                }
                i++;
            }
            if (!expectName && valueIsSecret() && !isLiteral(start, i)) {
                // A number becomes a string: still JSON, and its digits are gone.
                replace(start, i, i - start, true);
            }
            secretName = false;
            return i;
        }

        private boolean isLiteral(int from, int to) {
            String word = new String(in, from, to - from, StandardCharsets.ISO_8859_1);
            return word.equals("null") || word.equals("true") || word.equals("false");
        }

        private void replace(int from, int to, int secretBytes, boolean quoted) {
            if (out == null) {
                out = new ByteArrayOutputStream(in.length + 32);
            }
            out.write(in, copied, from - copied);
            if (quoted) {
                out.write('"');
            }
            out.writeBytes(Marker.bytesOf(secretBytes));
            if (quoted) {
                out.write('"');
            }
            copied = to;
            count.values++;
        }

        byte[] finish() {
            out.write(in, copied, in.length - copied);
            return out.toByteArray();
        }

        /** A member name with its escapes undone (enough to judge it: \\uXXXX and the one-letter escapes). */
        private String unescape(int from, int to) {
            StringBuilder name = new StringBuilder(to - from);
            int i = from;
            while (i < to) {
                byte b = in[i];
                if (b != '\\' || i + 1 >= to) {
                    int run = i;
                    while (run < to && in[run] != '\\') {
                        run++;
                    }
                    if (run == i) {
                        run++;
                    }
                    name.append(new String(in, i, run - i, StandardCharsets.UTF_8));
                    i = run;
                    continue;
                }
                byte e = in[i + 1];
                if (e == 'u' && i + 6 <= to) {
                    try {
                        name.append((char) Integer.parseInt(new String(in, i + 2, 4, StandardCharsets.ISO_8859_1), 16));
                    } catch (NumberFormatException bad) {
                        name.append('?');
                    }
                    i += 6;
                } else {
                    name.append(switch (e) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        case 'r' -> '\r';
                        case 'b' -> '\b';
                        case 'f' -> '\f';
                        default -> (char) e;
                    });
                    i += 2;
                }
            }
            return name.toString();
        }
    }
}
