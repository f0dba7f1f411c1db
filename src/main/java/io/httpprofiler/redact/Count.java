package io.httpprofiler.redact;

/** Values redacted so far in one exchange (the redactors add to it as they replace). */
final class Count {
    int values;
}
