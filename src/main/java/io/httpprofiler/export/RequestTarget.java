package io.httpprofiler.export;

/**
 * A request target split into path and query. Origin form ({@code /a?b}) as it is; absolute form
 * ({@code http://host/a?b}, sent to proxies) without scheme and authority; a fragment (never sent, but seen) dropped.
 * Targets without a path (authority form {@code host:443} of CONNECT, {@code *} of OPTIONS) are their own path.
 *
 * @param path  the path, never empty
 * @param query what followed {@code ?}, or null when there was no {@code ?}
 */
record RequestTarget(String path, String query) {
    static RequestTarget of(String target) {
        int start = 0;
        int scheme = target.indexOf("://");
        if (scheme > 0 && !target.startsWith("/")) {
            int slash = target.indexOf('/', scheme + 3);
            int question = target.indexOf('?', scheme + 3);
            start = slash < 0 ? (question < 0 ? target.length() : question)
                    : question < 0 ? slash : Math.min(slash, question);
        }
        int fragment = target.indexOf('#', start);
        int end = fragment < 0 ? target.length() : fragment;
        int question = target.indexOf('?', start);
        if (question >= end) {
            question = -1;
        }
        String path = target.substring(start, question < 0 ? end : question);
        String query = question < 0 ? null : target.substring(question + 1, end);
        return new RequestTarget(path.isEmpty() ? "/" : path, query);
    }
}
