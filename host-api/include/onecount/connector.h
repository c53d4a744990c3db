/*
 * onecount/connector.h - the connector ABI: the contract between ONEcount's
 * connector runtime (the host) and a connector plugin, a dlopen-able shared
 * object that talks to one CRM.
 *
 * This header is the ABI only: what a plugin implements and what a host
 * passes it. Finding, loading and negotiating with a plugin is the
 * loader's business, declared in onecount/loader.h (a plugin never
 * includes that one).
 *
 * Design rules:
 *  - The plugin exports one function, oc_connector_entry() (declared at the
 *    end of this header, so the compiler checks a plugin's definition). The
 *    host allocates struct oc_connector, zeroed, calls the entry with its
 *    newest ABI version and steps down while the plugin answers
 *    OC_E_NOT_IMPLEMENTED.
 *  - Every struct that crosses the boundary starts with uint32_t
 *    struct_size and only ever grows at the end. A reader never touches a
 *    member that lies beyond the struct_size the writer declared: it
 *    checks OC_HAS_MEMBER() first.
 *  - One status type: oc_status, OC_OK == 0.
 *  - Nothing allocated crosses the boundary. Errors are written into a
 *    caller-owned struct oc_error; records are lent to the host's emit
 *    callback for the duration of the call only.
 *
 * Compatibility rule: status codes, enum values and struct members are
 * only ever appended. A value once published keeps its number and its
 * meaning; a member never moves, changes type or disappears. Every
 * member, value, macro and function below says the ABI version that
 * introduced it ("since 1.0"); a minor version adds members at the end of
 * a struct and codes after the last one, each marked with that version,
 * and a major version is a new contract negotiated separately. A reader
 * that meets a status it does not know treats it as a failure.
 *
 * Thread rules: different instances may be used from different threads at
 * the same time; one instance is used by one thread at a time. The entry
 * function and init() may be called from any thread.
 */
#ifndef ONECOUNT_CONNECTOR_H
#define ONECOUNT_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Versions                                                                */
/* ---------------------------------------------------------------------- */

/* An ABI version is major << 16 | minor. A minor bump only appends members;
 * a major bump may change anything. A manifest writes it "1.0"; its abi
 * line is the oldest ABI the plugin serves (the loader asks for the
 * newest it knows and steps down to that). Since 1.0. */
#define OC_ABI_MAKE(major, minor) ((uint32_t)(((uint32_t)(major) << 16) | (uint32_t)(minor)))
#define OC_ABI_MAJOR(v) ((unsigned)((v) >> 16))
#define OC_ABI_MINOR(v) ((unsigned)((v)&0xffffu))
#define OC_ABI_VERSION_1_0 OC_ABI_MAKE(1, 0)
/* 1.1 adds JSON-valued fields, the host's ABI in struct oc_host, and
 * inputs that arrive over time (push and lookup that run until the host
 * says end). Since 1.1. */
#define OC_ABI_VERSION_1_1 OC_ABI_MAKE(1, 1)
/* The newest ABI this header describes (since 1.0; it moves to each new
 * version's macro). */
#define OC_ABI_VERSION OC_ABI_VERSION_1_1

/* Nonzero when the struct at p (which starts with uint32_t struct_size)
 * is large enough to hold member m: how either side reads a struct that
 * the other side may have built from an older header. p must not be
 * NULL. Since 1.0. */
#define OC_HAS_MEMBER(p, type, m) \
    ((p)->struct_size >= offsetof(type, m) + sizeof(((type *)0)->m))

/* Marks the plugin's entry point as the one symbol its shared object
 * exports, whatever -fvisibility the plugin is built with. Since 1.0. */
#if defined(__GNUC__) || defined(__clang__)
#define OC_EXPORT __attribute__((visibility("default")))
#else
#define OC_EXPORT
#endif

/* ---------------------------------------------------------------------- */
/* Status                                                                  */
/* ---------------------------------------------------------------------- */

/* Since 1.0. */
typedef int oc_status;

/* New codes are appended after the last, with the next number. */
enum {
    OC_OK = 0,                /* success; since 1.0                                 */
    OC_E_INVALID = 1,         /* bad argument or input from the caller; since 1.0   */
    OC_E_CONFIG = 2,          /* bad or missing option, unusable list...; since 1.0 */
    OC_E_NOT_FOUND = 3,       /* the thing asked for does not exist; since 1.0      */
    OC_E_AUTH = 4,            /* token invalid, expired, missing scopes; since 1.0  */
    OC_E_BUDGET = 5,          /* the CRM's daily limit or the budget; since 1.0     */
    OC_E_PARTIAL = 6,         /* some records failed (see results); since 1.0       */
    OC_E_TRANSIENT = 7,       /* network/server trouble past retries; since 1.0     */
    OC_E_NOT_IMPLEMENTED = 8, /* operation or ABI version unknown; since 1.0        */
    OC_E_NOMEM = 9,           /* allocation failed; since 1.0                       */
    OC_E_PROTOCOL = 10,       /* the server's answer made no sense; since 1.0       */
    OC_E_CANCELLED = 11,      /* the host's cancelled() said stop; since 1.0        */
    OC_E_IO = 12,             /* local file or state storage failed; since 1.0      */
    OC_E_ABI = 13,            /* loader: plugin/manifest/ABI mismatch; since 1.0    */
    OC_E_RANGE = 14,          /* caller's buffer too small (state_get); since 1.0   */
    OC_E_AGAIN = 15           /* no input yet: ask again later (next_within,
                                 next_query); since 1.1                             */
};


/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

#define OC_ERROR_MESSAGE_SIZE 512 /* since 1.0 */
#define OC_ERROR_ID_SIZE 64       /* since 1.0 */

/* Filled by the plugin when an operation fails. Owned by the caller, who
 * sets struct_size = sizeof(struct oc_error) and may reuse it between calls;
 * the plugin clears what it writes. All strings are NUL-terminated, valid
 * UTF-8 without control characters, and never contain the access token.
 * Every function taking a struct oc_error * accepts NULL (no details).
 * Since 1.0. */
struct oc_error {
    uint32_t struct_size;      /* since 1.0                                     */
    oc_status status;          /* the value the function returned; since 1.0    */
    int http_status;           /* last HTTP status involved, 0: none; since 1.0 */
    int retryable;             /* nonzero: retrying later can succeed; since 1.0 */
    int64_t retry_after_ms;    /* suggested wait, 0 if unknown; since 1.0       */
    char message[OC_ERROR_MESSAGE_SIZE];   /* what happened, what to do; since 1.0 */
    char correlation_id[OC_ERROR_ID_SIZE]; /* the CRM's request id or ""; since 1.0 */
    char category[OC_ERROR_ID_SIZE];       /* the CRM's error category or ""; since 1.0 */
};

/* ---------------------------------------------------------------------- */
/* Records                                                                 */
/* ---------------------------------------------------------------------- */

/* How a field's value should be written as JSON. The value is always text.
 * Since 1.0. */
enum oc_field_type {
    OC_FIELD_STRING = 0, /* value is the string's text; since 1.0                */
    OC_FIELD_NUMBER = 1, /* value is a JSON number literal, e.g. "17"; since 1.0 */
    OC_FIELD_BOOL = 2,   /* value is "true" or "false"; since 1.0               */
    OC_FIELD_NULL = 3,   /* value is ignored; since 1.0                         */
    OC_FIELD_JSON = 4    /* value is one whole JSON text (an object, an array,
                            ...), already valid, written as is. A plugin uses
                            it only for a host whose oc_host.abi_version is
                            1.1 or newer, and sends the same text as
                            OC_FIELD_STRING to an older host; since 1.1     */
};

/* One key/value pair of a record. Has no struct_size: it is only ever
 * used in arrays whose length a struct oc_record gives, and never grows.
 * Since 1.0. */
struct oc_field {
    const char *key;   /* NUL-terminated, stable name; since 1.0              */
    const char *value; /* NUL-terminated UTF-8; since 1.0                     */
    int type;          /* enum oc_field_type; since 1.0                       */
};

/* A flat record. Lent to the host: every pointer in it is valid only until
 * the emit callback returns. Since 1.0. */
struct oc_record {
    uint32_t struct_size;          /* since 1.0                                */
    const char *kind;              /* "email_event", "push_result", "contact",
                                      "lookup_miss", "authorization", "usage",
                                      ...; since 1.0                           */
    const char *id;                /* primary key of the record, may be NULL;
                                      since 1.0                                */
    size_t nfields;                /* since 1.0                                */
    const struct oc_field *fields; /* nfields of them; since 1.0               */
};

/* ---------------------------------------------------------------------- */
/* Host services                                                           */
/* ---------------------------------------------------------------------- */

/* Since 1.0. */
enum oc_log_level {
    OC_LOG_ERROR = 0, /* since 1.0 */
    OC_LOG_WARN = 1,  /* since 1.0 */
    OC_LOG_INFO = 2,  /* since 1.0 */
    OC_LOG_DEBUG = 3  /* since 1.0 */
};

/* Services the host lends to a plugin instance. The host owns the struct;
 * it must stay valid, unchanged, until release() of every instance created
 * with it. Any member may be NULL except where noted; the plugin then
 * does without (no logging, no durable state, wall clock, ...). Callbacks
 * are called only from the thread currently using the instance.
 * Since 1.0. */
struct oc_host {
    uint32_t struct_size; /* since 1.0 */
    void *ctx; /* passed back as the first argument of every callback; since 1.0 */

    /* One line of text, no trailing newline, never containing secrets.
     * Since 1.0. */
    void (*log)(void *ctx, int level, const char *message);

    /* Durable key/value state (cursors, usage counters). Keys are short
     * ASCII names chosen by the plugin; values are opaque bytes.
     * state_get copies the value into buf (bufsize bytes) and sets *len to
     * its length; OC_E_NOT_FOUND if absent; OC_E_RANGE if bufsize is too
     * small (then *len is the size needed and buf is untouched).
     * state_put stores value (len bytes; value NULL deletes the key) and
     * returns only once the value is durable.
     * Sharing: the plugin reads a key, changes it and writes it back
     * (cursors, the day's usage counters), which is not atomic across
     * instances. A host that lets several instances use one state store
     * at the same time must run at most one pull per stream on it, and
     * accept that concurrent instances may undercount usage (ochost
     * instead gives one run a state file at a time, under a lock).
     * A host must store each value whole: a reader never sees part of
     * one. A plugin may keep caches in state (the HubSpot plugin keeps
     * contact ids and list checks, each cache one key read when an
     * operation starts and written whole once per batch); where several
     * instances write one store at once the last save wins and what the
     * others learned is lost, which costs calls later, never a wrong
     * answer. Both since 1.0. */
    oc_status (*state_get)(void *ctx, const char *key, void *buf, size_t bufsize,
                           size_t *len);
    oc_status (*state_put)(void *ctx, const char *key, const void *value, size_t len);

    /* Receives every output record: pulled events, push results, lookup
     * answers, usage. OC_OK means the host has taken the record (written
     * it, queued it durably): the plugin may then save state that counts
     * it as delivered. Nonzero means the host did NOT take it (it could
     * not write it): the plugin saves state that ends just before it, so
     * a rerun starts with it, and returns OC_E_CANCELLED. A host that
     * wants to stop after taking a record returns OC_OK and then answers
     * cancelled() nonzero. A host may hold taken records and make them
     * durable in the next state_put, before the state it is given: then a
     * state_put failure may be the host's output failing, not its store
     * (ochost does this for a regular-file stdout). Required for pull, push, lookup and usage.
     * Since 1.0. */
    oc_status (*emit)(void *ctx, const struct oc_record *record);

    /* Progress of long work: stage is a short name ("push", "pull"),
     * optionally followed by one space and what is being worked on
     * ("pull 2026-11-03": the day being read). A host takes the first
     * word as the stage and may show the rest. done/total are in units
     * of the stage (total 0 if unknown). Since 1.0. */
    void (*progress)(void *ctx, const char *stage, uint64_t done, uint64_t total);

    /* Milliseconds since the Unix epoch. Tests inject virtual time.
     * Since 1.0. */
    int64_t (*now_ms)(void *ctx);
    /* Sleep (or advance virtual time) by ms milliseconds. Since 1.0. */
    void (*sleep_ms)(void *ctx, int64_t ms);
    /* Nonzero: stop as soon as state is consistent (OC_E_CANCELLED).
     * Since 1.0. */
    int (*cancelled)(void *ctx);

    /* The newest connector ABI the host understands, e.g.
     * OC_ABI_VERSION_1_1. What the plugin may send depends on it (records
     * with OC_FIELD_JSON fields need 1.1). A host built against a 1.0
     * header has no such member: the plugin reads 1.0 then. Since 1.1. */
    uint32_t abi_version;
};

/* ---------------------------------------------------------------------- */
/* Operations                                                              */
/* ---------------------------------------------------------------------- */

/* One configuration option. Keys are documented in the plugin's README and
 * listed in its manifest (options = ...). No struct_size: used only in
 * arrays whose length init() is given, and never grows. Since 1.0. */
struct oc_option {
    const char *key;   /* since 1.0 */
    const char *value; /* since 1.0 */
};

/* Since 1.0. */
struct oc_pull_request {
    uint32_t struct_size; /* since 1.0                                          */
    const char *stream;   /* the plugin's default stream when NULL; since 1.0   */
    int64_t since_ms;     /* where a stream without a cursor starts, 0: the
                             plugin's default; since 1.0                        */
    const char *types;    /* comma-separated filter, e.g. "OPEN,CLICK", NULL:
                             all; since 1.0                                     */
};

/* Push input is pulled from the host one record at a time so that a bulk
 * push never holds its whole input in memory. next() fills *record with the
 * next input and returns OC_OK, returns OC_E_NOT_FOUND at the end, or any
 * other status to abort. The record (kind "contact", fields are the CRM's
 * contact properties, "email" required) stays valid until the next call of
 * next() or the end of push(). A record of kind "invalid" carries a field
 * "error" and is reported as a failed result without any call.
 * record->id names the input's position (e.g. "line 12"); results echo it
 * as field "input". Since 1.0. */
struct oc_push_request {
    uint32_t struct_size; /* since 1.0                                          */
    const char *list_id;  /* the CRM's id of the list to add contacts to;
                             since 1.0                                          */
    oc_status (*next)(void *ctx, struct oc_record *record); /* since 1.0        */
    void *next_ctx;       /* next()'s ctx; since 1.0                            */

    /* Inputs that arrive over time (web sign-ups): when not NULL the
     * plugin calls this instead of next(), with the same ctx and the same
     * answers, plus one: OC_E_AGAIN when no input arrived within wait_ms
     * milliseconds (wait_ms < 0: wait until one arrives or the input
     * ends). The host blocks at most wait_ms; the plugin uses the pause to
     * send what it holds (the linger_ms option), so a result follows its
     * input within about linger_ms whatever the batch size. The push runs
     * until the host answers OC_E_NOT_FOUND (end: everything read gets its
     * result) or cancelled() says stop (what is held then fails as
     * cancelled). A host that wants a stop signal to end the input
     * cleanly answers OC_E_NOT_FOUND instead. Since 1.1. */
    oc_status (*next_within)(void *ctx, struct oc_record *record, int64_t wait_ms);
};

/* Since 1.0. */
enum oc_lookup_by {
    OC_LOOKUP_EMAIL = 0, /* since 1.0 */
    OC_LOOKUP_ID = 1     /* since 1.0 */
};

/* Since 1.0. */
struct oc_lookup_request {
    uint32_t struct_size;       /* since 1.0                                   */
    int by;                     /* enum oc_lookup_by; since 1.0                */
    size_t nqueries;            /* since 1.0                                   */
    const char *const *queries; /* owned by the caller, valid during the call;
                                   since 1.0                                   */

    /* Queries that arrive over time (unknown clickers): when not NULL the
     * plugin ignores nqueries/queries and asks for each query here. OC_OK:
     * *query (valid until the next call) and *by (enum oc_lookup_by) are
     * the next query; OC_E_NOT_FOUND: no more; OC_E_AGAIN: none arrived
     * within wait_ms milliseconds (wait_ms < 0: wait until one does);
     * anything else aborts. Answers are emitted as each batch returns, in
     * query order within a batch. The lookup then returns OC_E_NOT_FOUND
     * when any query found nothing, as for a fixed list. Since 1.1. */
    oc_status (*next_query)(void *ctx, int64_t wait_ms, int *by, const char **query);
    void *next_query_ctx; /* next_query()'s ctx; since 1.1                      */
};

/* Opaque, owned by the plugin. Since 1.0. */
struct oc_instance;

/* The vtable the plugin fills in. Operation members a plugin does not
 * support may point to a function answering OC_E_NOT_IMPLEMENTED, but are
 * never NULL when the ABI version says they exist. Since 1.0. */
struct oc_connector {
    uint32_t struct_size;     /* bytes the plugin filled; since 1.0             */
    uint32_t abi_version;     /* the ABI the plugin filled in; since 1.0        */
    const char *name;         /* static, e.g. "acmecrm"; since 1.0              */
    const char *version;      /* static, the plugin build ("0.1.0"); since 1.0  */
    const char *capabilities; /* static, comma-separated; since 1.0             */

    /* Create an instance. host must outlive it. opts are copied; the
     * caller may free them on return. On success *out is owned by the
     * caller, who frees it with release(). Since 1.0. */
    oc_status (*init)(const struct oc_host *host, const struct oc_option *opts,
                      size_t nopts, struct oc_instance **out, struct oc_error *err);

    /* Check the token and its scopes. Emits one "authorization" record.
     * OC_E_AUTH names every missing scope in err->message. Since 1.0. */
    oc_status (*authorize)(struct oc_instance *inst, struct oc_error *err);

    /* Emit records newer than the stream's saved cursor, then advance it.
     * Since 1.0. */
    oc_status (*pull)(struct oc_instance *inst, const struct oc_pull_request *req,
                      struct oc_error *err);

    /* Upsert contacts and add them to a list; emits one "push_result" per
     * input. OC_E_PARTIAL when any input failed. Since 1.0. */
    oc_status (*push)(struct oc_instance *inst, const struct oc_push_request *req,
                      struct oc_error *err);

    /* Emits one "contact" or "lookup_miss" record per query, in query
     * order. OC_E_NOT_FOUND when any query found nothing. Since 1.0. */
    oc_status (*lookup)(struct oc_instance *inst, const struct oc_lookup_request *req,
                        struct oc_error *err);

    /* Emits one "usage" record: calls today by endpoint, limits last seen.
     * Since 1.0. */
    oc_status (*usage)(struct oc_instance *inst, struct oc_error *err);

    /* Destroy an instance. NULL is a no-op. Since 1.0. */
    void (*release)(struct oc_instance *inst);
};

/* ---------------------------------------------------------------------- */
/* Entry point                                                             */
/* ---------------------------------------------------------------------- */

/* The plugin entry point's type. The host passes a zeroed out of out_size
 * bytes. A plugin that cannot speak abi_version returns
 * OC_E_NOT_IMPLEMENTED and leaves out untouched; otherwise it fills at most
 * out_size bytes, sets out->struct_size to what it filled and
 * out->abi_version. err is the caller's (may be NULL). Since 1.0. */
typedef oc_status oc_connector_entry_t(uint32_t abi_version, struct oc_connector *out,
                                       size_t out_size, struct oc_error *err);
/* What a host holds after looking the entry up. Since 1.0. */
typedef oc_connector_entry_t *oc_connector_entry_fn;

/* The symbol a manifest names by default. Since 1.0. */
#define OC_CONNECTOR_ENTRY "oc_connector_entry"

/* The entry every plugin defines and exports (the only exported symbol).
 * Declared here through its type, so a plugin's definition that differs
 * from oc_connector_entry_t does not compile. Since 1.0. */
OC_EXPORT oc_connector_entry_t oc_connector_entry;

#ifdef __cplusplus
}
#endif

#endif /* ONECOUNT_CONNECTOR_H */
