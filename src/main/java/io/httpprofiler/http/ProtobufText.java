package io.httpprofiler.http;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import com.google.protobuf.UnknownFieldSet;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A protobuf message without its schema, on one line, the way {@code protoc --decode_raw} reads it: field numbers and
 * values, {@code 1: "alice" 2: 42 3 { 1: 7 }}. Parsing is protobuf-java's ({@link UnknownFieldSet}). A length-delimited
 * field is shown as a string when it is printable UTF-8 (what a reader most often wants; a nested message that happens
 * to be printable reads as a string too), as a nested message when it parses as one, and as escaped bytes otherwise.
 */
final class ProtobufText {
    /** Longest text for one message; the rest is cut with an ellipsis. */
    static final int MAX_TEXT = 4096;
    /** Nested messages deeper than this are shown as bytes. */
    static final int MAX_DEPTH = 16;

    private ProtobufText() {
    }

    /** The message's fields, or null when the bytes are not a protobuf message. An empty message is {@code ""}. */
    static String render(byte[] bytes, int offset, int length) {
        UnknownFieldSet fields;
        try {
            fields = UnknownFieldSet.parseFrom(ByteString.copyFrom(bytes, offset, length));
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        append(text, fields, 0);
        if (text.length() > MAX_TEXT) {
            text.setLength(MAX_TEXT);
            text.append('…');
        }
        return text.toString();
    }

    private static void append(StringBuilder text, UnknownFieldSet set, int depth) {
        for (Map.Entry<Integer, UnknownFieldSet.Field> entry : set.asMap().entrySet()) {
            if (text.length() > MAX_TEXT) {
                return;
            }
            int number = entry.getKey();
            UnknownFieldSet.Field field = entry.getValue();
            for (long value : field.getVarintList()) {
                separate(text).append(number).append(": ").append(Long.toUnsignedString(value));
            }
            for (int value : field.getFixed32List()) {
                separate(text).append(number).append(": 0x").append(String.format("%08x", value));
            }
            for (long value : field.getFixed64List()) {
                separate(text).append(number).append(": 0x").append(String.format("%016x", value));
            }
            for (ByteString value : field.getLengthDelimitedList()) {
                appendLengthDelimited(separate(text), number, value, depth);
            }
            for (UnknownFieldSet group : field.getGroupList()) {
                separate(text).append(number).append(" {");
                append(text, group, depth + 1);
                text.append(" }");
            }
        }
    }

    private static void appendLengthDelimited(StringBuilder text, int number, ByteString value, int depth) {
        String string = printable(value);
        if (string != null) {
            text.append(number).append(": \"").append(escape(string)).append('"');
            return;
        }
        if (depth < MAX_DEPTH && !value.isEmpty()) {
            try {
                UnknownFieldSet nested = UnknownFieldSet.parseFrom(value);
                text.append(number).append(" {");
                append(text, nested, depth + 1);
                text.append(" }");
                return;
            } catch (InvalidProtocolBufferException e) {
                // not a message: bytes
            }
        }
        text.append(number).append(": \"").append(TextFormat.escapeBytes(value)).append('"');
    }

    /** The value as text when it is UTF-8 without control characters (tab and line breaks allowed), else null. */
    private static String printable(ByteString value) {
        String string;
        try {
            string = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        for (int i = 0; i < string.length(); i++) {
            char c = string.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f) {
                return null;
            }
        }
        return string;
    }

    private static String escape(String string) {
        StringBuilder escaped = new StringBuilder(string.length());
        for (int i = 0; i < string.length(); i++) {
            char c = string.charAt(i);
            switch (c) {
                case '"' -> escaped.append("\\\"");
                case '\\' -> escaped.append("\\\\");
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '\t' -> escaped.append("\\t");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }

    private static StringBuilder separate(StringBuilder text) {
        if (!text.isEmpty()) {
            text.append(' ');
        }
        return text;
    }
}
