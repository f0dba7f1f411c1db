package io.httpprofiler.redact;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pieces of redaction, on the text forms they meet: JSON, form and query text, header values, field names. */
class RedactorTest {
    private static final String SECRET = "hunter2-S3cr3t";
    private final RedactionRules rules = RedactionRules.defaults();
    private final JsonFields json = new JsonFields(rules);
    private final FormFields form = new FormFields(rules);
    private final HeaderValues headers = new HeaderValues(rules, form);

    private String json(String text) {
        byte[] out = json.redact(text.getBytes(StandardCharsets.UTF_8), new Count());
        return out == null ? null : new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void fieldNamesAreJudgedByWholeWords() {
        for (String secret : List.of("password", "Password", "passwd", "secret", "token", "access_token",
                "refresh_token", "client_secret", "api_key", "apiKey", "APIKey", "x-api-key", "accessToken",
                "user[password]", "new_password", "csrfToken", "id_token", "PASSWORD")) {
            assertTrue(rules.isSecretField(secret), secret);
        }
        for (String plain : List.of("username", "prompt_tokens", "tokens", "passage", "key", "api", "email",
                "secretary", "", "token_type", "token_type_hint", "tokenExpiry", "password_policy")) {
            assertFalse(rules.isSecretField(plain), plain);
        }
        RedactionRules extra = RedactionRules.withExtra(List.of("X-Session"), List.of("pin"));
        assertTrue(extra.isSecretField("PIN"));
        assertFalse(extra.isSecretField("pins"));
        assertTrue(extra.isSecretHeader("x-session"));
    }

    @Test
    void headerNamesByListAndByPart() {
        for (String secret : List.of("Authorization", "proxy-authorization", "Cookie", "set-cookie", "X-Api-Key",
                "X-Auth-Token", "X-CSRF-Token", "X-Vault-Token", "X-Client-Secret", "X-Password", "my-api-key")) {
            assertTrue(rules.isSecretHeader(secret), secret);
        }
        for (String plain : List.of("Host", "Content-Type", "X-Request-ID", "Accept", "X-Api-Version")) {
            assertFalse(rules.isSecretHeader(plain), plain);
        }
    }

    @Test
    void jsonMembersAnywhere() {
        assertEquals("{\"user\":\"bob\",\"password\":\"[redacted 14 bytes]\"}",
                json("{\"user\":\"bob\",\"password\":\"" + SECRET + "\"}"));
        assertEquals("{\"a\":{\"b\":[{\"token\":\"[redacted 3 bytes]\",\"n\":1}]}}",
                json("{\"a\":{\"b\":[{\"token\":\"abc\",\"n\":1}]}}"));
        // numbers become strings, null and booleans stay
        assertEquals("{ \"pin_token\" : \"[redacted 4 bytes]\", \"secret\": null, \"x\": 12 }",
                json("{ \"pin_token\" : 1234, \"secret\": null, \"x\": 12 }"));
        // a secret container: everything in it goes, whatever the inner names
        assertEquals("{\"token\":{\"value\":\"[redacted 3 bytes]\",\"expires\":\"[redacted 4 bytes]\"},\"ok\":true}",
                json("{\"token\":{\"value\":\"xyz\",\"expires\":3600},\"ok\":true}"));
        assertEquals("{\"secrets\":[\"a\"],\"secret\":[\"[redacted 1 bytes]\",\"[redacted 1 bytes]\"]}",
                json("{\"secrets\":[\"a\"],\"secret\":[\"b\",\"c\"]}"));
        assertNull(json("{\"user\":\"bob\",\"list\":[1,2,\"password\"]}"), "a value named like a secret is no name");
    }

    @Test
    void jsonEscapesInNamesAndValues() {
        assertEquals("{\"pass\\u0077ord\":\"[redacted 9 bytes]\"}", json("{\"pass\\u0077ord\":\"a\\\"b\\\\c\\n\"}"));
        assertEquals("{\"a\\\"\":\"x\",\"token\":\"[redacted 10 bytes]\"}",
                json("{\"a\\\"\":\"x\",\"token\":\"\\u00e9\\\"\\\\\"}"));
        assertEquals("{\"token\":\"[redacted 6 bytes]\"}", json("{\"token\":\"h\u00e9ll\u00f6\"}".replace("\u00f6", "o")));
    }

    @Test
    void jsonLinesAndGarbageAround() {
        assertEquals("{\"token\":\"[redacted 1 bytes]\"}\n{\"token\":\"[redacted 1 bytes]\"}\n",
                json("{\"token\":\"a\"}\n{\"token\":\"b\"}\n"));
        assertEquals("garbage } ] {\"secret\":\"[redacted 1 bytes]\"", json("garbage } ] {\"secret\":\"s\""));
    }

    /** A body cut at --max-body anywhere: no piece of the secret survives, whatever the cut. */
    @Test
    void jsonCutAtEveryPosition() {
        String body = "{\"user\":{\"name\":\"bob\",\"credentials\":{\"password\":\"" + SECRET + "\",\"otp\":7}},"
                + "\"api_key\":\"" + SECRET + "\"}";
        for (int cut = 0; cut <= body.length(); cut++) {
            int at = cut;
            String prefix = body.substring(0, cut);
            String out = json(prefix);
            String shown = out == null ? prefix : out;
            for (int i = 0; i + 3 <= SECRET.length(); i++) {
                String piece = SECRET.substring(i, i + 3);
                assertFalse(shown.contains(piece), () -> "cut at " + at + " shows " + piece + ": " + shown);
            }
        }
    }

    @Test
    void formFields() {
        assertEquals("user=bob&password=[redacted 10 bytes]&x=1", form.redact("user=bob&password=p%40ss+w0d&x=1", new Count()));
        assertEquals("client_id=app&client_secret=[redacted 2 bytes]&grant_type=password",
                form.redact("client_id=app&client_secret=s3&grant_type=password", new Count()));
        assertEquals("pass%77ord=[redacted 1 bytes]&a", form.redact("pass%77ord=x&a", new Count()), "encoded name");
        assertEquals("user%5Bpassword%5D=[redacted 1 bytes]", form.redact("user%5Bpassword%5D=x", new Count()));
        assertNull(form.redact("password=&a=b&token", new Count()), "no value, nothing to hide");
        assertNull(form.redact("%zz=1", new Count()));
        Count count = new Count();
        byte[] latin1 = "token=\u00e9t\u00e9&b=2".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("token=[redacted 3 bytes]&b=2",
                new String(form.redact(latin1, count), StandardCharsets.ISO_8859_1), "non-UTF-8 bytes");
        assertEquals(1, count.values);
    }

    @Test
    void headerVariants() {
        Count count = new Count();
        assertEquals("Bearer [redacted 10 bytes]", headers.redact("Authorization", "Bearer eyJhbGciOi", count));
        assertEquals("Basic [redacted 12 bytes]", headers.redact("authorization", "Basic Ym9iOnBhc3M=", count));
        assertEquals("[redacted 6 bytes]", headers.redact("Authorization", "abcdef", count), "no scheme");
        assertEquals("Digest [redacted 20 bytes]",
                headers.redact("Proxy-Authorization", "Digest username=\"bob\", nc=1", count));
        assertEquals("sid=[redacted 3 bytes]; theme=[redacted 4 bytes]",
                headers.redact("Cookie", "sid=abc; theme=dark", count));
        assertEquals("sid=[redacted 3 bytes]; Path=/; HttpOnly; Secure",
                headers.redact("Set-Cookie", "sid=abc; Path=/; HttpOnly; Secure", count));
        assertEquals("[redacted 5 bytes]", headers.redact("X-Api-Key", "k-123", count));
        assertEquals("[redacted 3 bytes]", headers.redact("X-My-Token", "t-1", count));
        assertEquals("/cb?code=1&access_token=[redacted 2 bytes]#id_token=[redacted 1 bytes]",
                headers.redact("Location", "/cb?code=1&access_token=ab#id_token=c", count));
        assertNull(headers.redact("Location", "/plain?x=1", count));
        assertEquals("https://bob:[redacted 6 bytes]@example.com/a?token=[redacted 1 bytes]",
                headers.redact("Referer", "https://bob:s3cr3t@example.com/a?token=t", count));
        assertEquals("https://[redacted 8 bytes]@github.com/o/r.git",
                headers.redact("Location", "https://ghp_1234@github.com/o/r.git", count));
        assertNull(headers.redact("Location", "https://example.com/a@b", count), "an @ in the path is no user");
        assertNull(headers.redact("Host", "example.com", count));
        assertNull(headers.redact("Authorization", "", count));
        assertEquals(13, count.values);
    }
}
