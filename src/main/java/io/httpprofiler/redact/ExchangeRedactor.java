package io.httpprofiler.redact;

import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HeaderFields;
import io.httpprofiler.http.HeaderNames;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Takes the secrets out of an exchange before any output sees it: header values ({@link HeaderValues}), query
 * parameters of the request target, and fields of form and JSON bodies (as shown: decoded when the body was gzip or
 * deflate). A body whose content coding could not be undone is withheld whole: its secrets cannot be found, and the
 * coded bytes are no disguise. An exchange with nothing to redact is handed on as it is, without a copy.
 *
 * <p>Not thread-safe: one per output thread.
 */
public final class ExchangeRedactor {
    private final RedactionRules rules;
    private final HeaderValues headerValues;
    private final FormFields form;
    private final JsonFields json;
    /** Per shared header name ({@link HeaderNames#SHARED}): may its value need redacting. */
    private final boolean[] sharedNeedsLook;
    private final Count count = new Count();
    private long redactedValues;
    private long redactedExchanges;
    private long withheldBodies;

    public ExchangeRedactor(RedactionRules rules) {
        this.rules = rules;
        this.form = new FormFields(rules);
        this.json = new JsonFields(rules);
        this.headerValues = new HeaderValues(rules, form);
        this.sharedNeedsLook = new boolean[HeaderNames.SHARED.size()];
        for (int i = 0; i < sharedNeedsLook.length; i++) {
            sharedNeedsLook[i] = needsLook(HeaderNames.SHARED.get(i));
        }
    }

    /** The exchange with its secrets replaced; the same object when it holds none. */
    public Exchange redact(Exchange exchange) {
        count.values = 0;
        long withheldBefore = withheldBodies;
        HttpRequest request = exchange.request();
        HttpRequest redactedRequest = request == null ? null : redact(request);
        HttpResponse response = exchange.response();
        HttpResponse redactedResponse = response == null ? null : redact(response);
        if (count.values == 0 && withheldBodies == withheldBefore) {
            return exchange;
        }
        redactedValues += count.values;
        redactedExchanges++;
        return exchange.withMessages(redactedRequest, redactedResponse);
    }

    /**
     * As {@link #redact(Exchange)}, without counting: for reports of an exchange still in progress, which is counted
     * once, when it is written whole.
     */
    public Exchange redactUncounted(Exchange exchange) {
        long values = redactedValues;
        long exchanges = redactedExchanges;
        long withheld = withheldBodies;
        Exchange redacted = redact(exchange);
        redactedValues = values;
        redactedExchanges = exchanges;
        withheldBodies = withheld;
        return redacted;
    }

    private HttpRequest redact(HttpRequest request) {
        int before = count.values;
        long withheldBefore = withheldBodies;
        String target = request.target();
        String redactedTarget = target.indexOf('?') < 0 && target.indexOf('@') < 0 ? null
                : headerValues.redact(":path", target, count);
        List<HttpHeader> headers = headers(request.headers());
        List<HttpHeader> trailers = headers(request.trailers());
        Body body = body(request.body(), request.headers());
        if (count.values == before && withheldBodies == withheldBefore) {
            return request;
        }
        return request.withParts(redactedTarget == null ? target : redactedTarget, headers, trailers, body);
    }

    private HttpResponse redact(HttpResponse response) {
        int before = count.values;
        long withheldBefore = withheldBodies;
        List<HttpHeader> headers = headers(response.headers());
        List<HttpHeader> trailers = headers(response.trailers());
        Body body = body(response.body(), response.headers());
        if (count.values == before && withheldBodies == withheldBefore) {
            return response;
        }
        return response.withParts(headers, trailers, body);
    }

    /** The headers with secrets replaced: the same list when there are none (the usual case, decided on its bytes). */
    private List<HttpHeader> headers(List<HttpHeader> headers) {
        List<HttpHeader> copy = null;
        for (int i = 0; i < headers.size(); i++) {
            String replacement = null;
            if (mayNeedLook(headers, i)) {
                HttpHeader header = headers.get(i);
                replacement = headerValues.redact(header.name(), header.value(), count);
            }
            if (replacement != null && copy == null) {
                copy = new ArrayList<>(headers.size());
                for (int j = 0; j < i; j++) {
                    copy.add(headers.get(j));
                }
            }
            if (copy != null) {
                copy.add(replacement == null ? headers.get(i) : new HttpHeader(headers.get(i).name(), replacement));
            }
        }
        return copy == null ? headers : copy;
    }

    private boolean mayNeedLook(List<HttpHeader> headers, int index) {
        if (headers instanceof HeaderFields fields) {
            int shared = fields.sharedName(index);
            if (shared >= 0) {
                return sharedNeedsLook[shared];
            }
            if (fields.isAscii()) { // judged on the bytes: no String per header
                byte[] text = fields.text();
                int from = fields.nameStart(index);
                int to = fields.nameEnd(index);
                return rules.isSecretHeader(text, from, to) || holdsUrl(text, from, to);
            }
            return needsLook(fields.name(index));
        }
        return needsLook(headers.get(index).name());
    }

    private static boolean holdsUrl(byte[] text, int from, int to) {
        for (String name : HeaderValues.URL_HEADERS) {
            if (AsciiNames.equalsIgnoreCase(text, from, to, name)) {
                return true;
            }
        }
        return false;
    }

    private boolean needsLook(String name) {
        return headerValues.isSecret(name) || HeaderValues.holdsUrl(name.toLowerCase(Locale.ROOT));
    }

    private Body body(Body body, List<HttpHeader> headers) {
        if (body.content().length == 0) {
            return body;
        }
        String contentEncoding = value(headers, "content-encoding");
        if (body.decodedFrom() == null && contentEncoding != null && !contentEncoding.isBlank()
                && !contentEncoding.equalsIgnoreCase("identity")) {
            withheldBodies++;
            byte[] marker = Marker.bytesOf(body.content().length);
            return new Body(body.size(), body.keptBytes(), marker, true, null, body.truncated());
        }
        String contentType = value(headers, "content-type");
        byte[] redacted = null;
        if (isForm(contentType)) {
            redacted = form.redact(body.content(), count);
        } else if (isJson(contentType, body.content())) {
            redacted = json.redact(body.content(), count);
        }
        return redacted == null ? body
                : new Body(body.size(), body.keptBytes(), redacted, body.text(), body.decodedFrom(), body.truncated());
    }

    private static boolean isForm(String contentType) {
        return contentType != null
                && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
    }

    /**
     * A JSON media type ({@code application/json}, {@code +json}, NDJSON), or no type or {@code text/plain} (what
     * beacons and some clients send JSON as) and content that starts like JSON.
     */
    private static boolean isJson(String contentType, byte[] content) {
        if (contentType != null) {
            String type = contentType.toLowerCase(Locale.ROOT);
            if (type.contains("json")) {
                return true;
            }
            if (!type.startsWith("text/plain")) {
                return false;
            }
        }
        for (byte b : content) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b == '{' || b == '[';
            }
        }
        return false;
    }

    /** The first value of a header, found without making a String of every name when the headers are parsed ones. */
    private static String value(List<HttpHeader> headers, String lowerName) {
        if (headers instanceof HeaderFields fields) {
            for (int i = 0; i < fields.size(); i++) {
                int shared = fields.sharedName(i);
                if (shared >= 0 ? HeaderNames.SHARED.get(shared).equalsIgnoreCase(lowerName)
                        : sameName(fields.text(), fields.nameStart(i), fields.nameEnd(i), lowerName)) {
                    return fields.value(i).strip();
                }
            }
            return null;
        }
        for (HttpHeader header : headers) {
            if (header.name().equalsIgnoreCase(lowerName)) {
                return header.value().strip();
            }
        }
        return null;
    }

    private static boolean sameName(byte[] text, int from, int to, String lowerName) {
        if (to - from != lowerName.length()) {
            return false;
        }
        for (int i = from; i < to; i++) {
            int b = text[i];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lowerName.charAt(i - from)) {
                return false;
            }
        }
        return true;
    }

    /** Secret values replaced so far (headers, query parameters, body fields). */
    public long redactedValues() {
        return redactedValues;
    }

    /** Exchanges that had something redacted. */
    public long redactedExchanges() {
        return redactedExchanges;
    }

    /** Bodies withheld whole because their content coding could not be undone. */
    public long withheldBodies() {
        return withheldBodies;
    }
}
