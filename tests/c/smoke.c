/*
 * smoke.c: drives libbastion_session_ffi through the committed header like any C caller.
 *
 * Usage: smoke URL TOKEN [LOOPS]
 *   URL    the ARM emulator's base URL (http://127.0.0.1:PORT)
 *   TOKEN  the bearer token it accepts
 *   LOOPS  optional: after the smoke test, run LOOPS rounds of cheap calls (version,
 *          error envelopes, progress polls, cancel) with a real HTTP call every 500
 *          rounds, for leak checking under valgrind.
 *
 * Checks envelopes with plain string searches (serde_json writes no spaces), frees every
 * returned string with bastion_string_free, and exits non-zero on the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bastion_session.h"

static int failures = 0;
static long calls = 0;

#define CHECK(cond, what, text)                                                   \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "FAIL %s:%d: %s\n  envelope: %.600s\n", __FILE__,     \
                    __LINE__, what, (text) ? (text) : "(null)");                  \
            failures++;                                                           \
        }                                                                         \
    } while (0)

typedef char *(*export_fn)(const char *);

/* Calls f(arg), checks the answer is a non-null envelope containing every needle, and
 * returns it (the caller frees it). */
static char *call(export_fn f, const char *arg) {
    char *out = f(arg);
    calls++;
    CHECK(out != NULL, "export returned NULL", out);
    if (out != NULL) {
        CHECK(strncmp(out, "{\"schemaVersion\":1,", 19) == 0, "envelope starts with schemaVersion 1", out);
    }
    return out;
}

static void expect(export_fn f, const char *arg, const char *needle) {
    char *out = call(f, arg);
    CHECK(out != NULL && strstr(out, needle) != NULL, needle, out);
    bastion_string_free(out);
}

/* Copies the string value that follows `key` (e.g. "\"sessionId\":\"") into buf. */
static int extract(const char *text, const char *key, char *buf, size_t size) {
    const char *p = strstr(text, key);
    if (p == NULL) return 0;
    p += strlen(key);
    const char *end = strchr(p, '"');
    if (end == NULL || (size_t)(end - p) >= size) return 0;
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    return 1;
}

static char base[1024];

static void build_base(const char *url, const char *token) {
    snprintf(base, sizeof base,
             "\"credential\":{\"type\":\"accessToken\",\"token\":\"%s\"},\"armEndpoint\":\"%s\","
             "\"pollIntervalMinSec\":0,\"maxRetries\":1",
             token, url);
}

static const char *SCOPE = "\"scope\":{\"subscriptionIds\":[\"00000000-0000-0000-0000-000000000001\"]}";

static void smoke(const char *token) {
    char req[4096];
    const char *version = bastion_version();
    CHECK(version != NULL && strstr(version, "bastion_session_ffi ") == version, "version prefix", version);
    CHECK(strstr(version, "(schema 1)") != NULL, "version names schema 1", version);

    /* list hosts */
    snprintf(req, sizeof req, "{%s,%s}", base, SCOPE);
    char *hosts = call(bastion_list_hosts, req);
    CHECK(hosts && strstr(hosts, "\"ok\":true"), "list_hosts ok", hosts);
    CHECK(hosts && strstr(hosts, "\"hosts\":[{"), "list_hosts found hosts", hosts);
    CHECK(hosts && !strstr(hosts, token), "token not echoed", hosts);
    bastion_string_free(hosts);

    /* list sessions, with progress */
    snprintf(req, sizeof req, "{%s,%s,\"operationId\":\"c-op-1\"}", base, SCOPE);
    char *sessions = call(bastion_get_sessions, req);
    CHECK(sessions && strstr(sessions, "\"ok\":true"), "get_sessions ok", sessions);
    char session_id[256] = "", host_id[512] = "";
    int have = sessions && extract(sessions, "\"sessionId\":\"", session_id, sizeof session_id)
               && extract(sessions, "\"id\":\"", host_id, sizeof host_id);
    CHECK(have, "a session and its host in the answer", sessions);
    bastion_string_free(sessions);
    expect(bastion_poll_progress, "c-op-1", "\"running\":false");

    /* disconnect it */
    if (have) {
        snprintf(req, sizeof req,
                 "{%s,\"targets\":[{\"hostResourceId\":\"%s\",\"sessionIds\":[\"%s\"]}]}", base,
                 host_id, session_id);
        char *d = call(bastion_disconnect_sessions, req);
        CHECK(d && strstr(d, "\"ok\":true"), "disconnect ok", d);
        CHECK(d && strstr(d, "\"state\":\"Disconnected\""), "session disconnected", d);
        CHECK(d && strstr(d, session_id), "result names the session", d);
        bastion_string_free(d);
    }

    /* error envelopes */
    expect(bastion_get_sessions, NULL, "\"code\":1001");
    expect(bastion_get_sessions, "{", "\"code\":1002");
    expect(bastion_list_hosts, "{\"bogus\":1}", "\"target\":\"bogus\"");
    expect(bastion_disconnect_sessions, "{\"schemaVersion\":2}", "\"code\":1003");
    expect(bastion_poll_progress, NULL, "\"code\":1001");
    snprintf(req, sizeof req, "{%s,%s,\"armEndpoint\":\"http://example.invalid\"}",
             "\"credential\":{\"type\":\"accessToken\",\"token\":\"t\"}", SCOPE);
    expect(bastion_list_hosts, req, "\"code\":3005");
    CHECK(bastion_cancel("no-such-operation") == 0, "cancel of unknown id is 0", NULL);
    CHECK(bastion_cancel(NULL) == -1, "cancel(NULL) is -1", NULL);
    bastion_string_free(NULL);

    /* A pointer freed twice, or never handed out, is ignored (valgrind sees no bad free). */
    char *twice = call(bastion_poll_progress, "double-free-op");
    CHECK(twice != NULL, "poll envelope", NULL);
    bastion_string_free(twice);
    bastion_string_free(twice);
    char foreign[] = "not the library's";
    bastion_string_free(foreign);
    CHECK(strcmp(foreign, "not the library's") == 0, "a foreign string is left alone", NULL);
    bastion_string_free((char *)bastion_version());
    CHECK(strstr(bastion_version(), "(schema 1)") != NULL, "version survives a stray free", NULL);
}

static void loop(long rounds) {
    char req[4096];
    snprintf(req, sizeof req, "{%s,%s}", base, SCOPE);
    for (long i = 0; i < rounds && failures == 0; i++) {
        const char *v = bastion_version();
        calls++;
        CHECK(v != NULL, "version", v);
        expect(bastion_get_sessions, "{\"timeoutSec\":0}", "\"code\":1002");
        expect(bastion_list_hosts, "{\"scope\":{\"subscriptionIds\":[]}}", "\"code\":1002");
        expect(bastion_poll_progress, "loop-op", "\"running\":false");
        expect(bastion_disconnect_sessions, NULL, "\"code\":1001");
        CHECK(bastion_cancel("loop-op") == 0, "cancel", NULL);
        calls++;
        if (i % 500 == 0) {
            expect(bastion_list_hosts, req, "\"ok\":true");
        }
    }
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : getenv("BASTION_ARM_URL");
    const char *token = argc > 2 ? argv[2] : getenv("BASTION_TOKEN");
    if (url == NULL || token == NULL) {
        fprintf(stderr, "usage: %s URL TOKEN [LOOPS]\n", argv[0]);
        return 2;
    }
    build_base(url, token);
    smoke(token);
    if (argc > 3 && failures == 0) {
        loop(atol(argv[3]));
    }
    printf("%s: %ld calls, %d failures\n", failures ? "FAILED" : "ok", calls, failures);
    return failures ? 1 : 0;
}
