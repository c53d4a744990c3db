/*
 * state.h - the durable key/value state file behind oc_host state_get/put.
 *
 * The file (default ./ochost.state) is one JSON object of key -> string.
 * The plugin stores JSON text (cursors, usage counters), so values must be
 * UTF-8 without NUL bytes; anything else is refused with OC_E_INVALID
 * rather than mangled.
 *
 * Every put that changes a value rewrites the whole file atomically (a
 * put of the value the file holds already writes nothing): a temporary file in the
 * same directory (created mode 0600 with O_EXCL, so never through a
 * symbolic link), fsync, rename over the old file, fsync of the directory.
 * A crash leaves either the old or the new file, never a mix. A corrupt
 * file is an error naming the file and the parse error, never silently
 * reset: resetting would rewind cursors and re-emit or lose events.
 *
 * Two ochost runs on one state file (a cron pull and a sign-up push,
 * say) would each write back their own stale copy of the other's keys:
 * a pull cursor moved back re-emits events, usage counts get lost. So
 * och_state_open holds an exclusive flock for the whole session, on a
 * sidecar "<path>.lock" (the state file itself is replaced by rename on
 * every put, so a lock on it would not survive the first write). The lock
 * file stays after the run: removing it while another run waits on it
 * would let a third run take a second lock on a new file.
 *
 * Not thread-safe: one instance uses it from one thread.
 */
#ifndef OCH_STATE_H
#define OCH_STATE_H

#include <stddef.h>
#include <stdio.h>

#include "onecount/connector.h"

struct och_state_kv {
    char *key;
    char *value; /* NUL-terminated; len excludes the NUL */
    size_t len;
    /* The value as the file holds it (a JSON string), made at the first
     * save that writes it and kept until the value changes: a save
     * rewrites every key, and most did not change. NULL until made, and
     * always for a value over 64 KiB (quoted as it is written instead:
     * holding it twice would cost more than quoting it again). */
    char *quoted;
    size_t qlen;
};

struct och_state {
    char *path;               /* owned */
    struct och_state_kv *kv;  /* owned, sorted by key */
    size_t n, cap;
    int lock_fd;              /* the "<path>.lock" descriptor while locked */
    int locked;               /* lock_fd is open (0 after och_state_load alone) */
    /* Called after every och_state_put that made its value durable (the
     * file replaced, or holding that value already), with the key; NULL: nobody listens. A command sets
     * it to follow what the plugin saves (pull --format singer). */
    void (*on_saved)(void *ctx, const struct och_state *st, const char *key);
    void *on_saved_ctx;
};

/* Default wait for another run's lock; OCHOST_STATE_LOCK_WAIT_MS in the
 * environment overrides it (tests use a few ms). */
#define OCH_STATE_LOCK_WAIT_MS 30000

/* The lock wait to use: OCHOST_STATE_LOCK_WAIT_MS when it is a number of
 * ms (0 = do not wait), else OCH_STATE_LOCK_WAIT_MS. */
int och_state_lock_wait_ms(void);

/* Resolve path (following symbolic links, also a dangling one: the file
 * they name is what gets locked and rewritten, so a symlinked --state
 * stays a link and two paths to one file share one lock), lock it (see
 * above), waiting up to wait_ms for another holder, och_state_load it, and
 * check with och_state_check_writable that it can be saved. note (may be
 * NULL) gets one line when the lock is busy and the run starts waiting.
 * OC_E_CONFIG when the path cannot be resolved, the lock stays busy (err
 * names the state file and says another ochost is using it), the lock file
 * cannot be created or is a symbolic link (never followed), or the state
 * cannot be saved; otherwise as och_state_load. On failure st holds nothing
 * (safe to och_state_free); on success st->path is the resolved path and
 * och_state_free releases the lock. */
oc_status och_state_open(struct och_state *st, const char *path, int wait_ms, FILE *note,
                         struct oc_error *err);

/* Write st's current contents to a new temporary file beside st->path
 * (synced) and remove it again: proof that a save can work before any
 * work depends on one. OC_E_CONFIG (err names the file, the errno text and
 * what to do) or OC_E_NOMEM; the state file itself is not touched. */
oc_status och_state_check_writable(const struct och_state *st, struct oc_error *err);

/* Load path into st (zeroed by this call). A missing file is an empty
 * state (created on the first put). On failure st holds no keys and no
 * lock but may hold its path: call och_state_free in every case; err says
 * what is wrong and how to recover:
 * OC_E_CONFIG for a corrupt or unreadable file, OC_E_NOMEM. path is copied. */
oc_status och_state_load(struct och_state *st, const char *path, struct oc_error *err);
/* Free st's memory and release its lock, if it holds one. */
void och_state_free(struct och_state *st);

/* The stored value of key, or NULL. *len (if not NULL) gets its length.
 * Valid until the next put of that key or och_state_free. */
const char *och_state_value(const struct och_state *st, const char *key, size_t *len);

/* oc_host state_get semantics: copy into buf; OC_E_NOT_FOUND if absent;
 * OC_E_RANGE (and *len = size needed, buf untouched) if bufsize is short. */
oc_status och_state_get(const struct och_state *st, const char *key, void *buf, size_t bufsize,
                        size_t *len);

/* Store value (len bytes; NULL deletes key) and rewrite the file
 * durably before returning. Memory always matches the file: when the file
 * cannot be written neither changes (OC_E_IO, err names the file and the
 * errno text; OC_E_INVALID for a bad key or non-UTF-8 value); when the
 * file was replaced but its folder could not be synced, both hold the new
 * value and OC_E_IO says the save may not survive a crash. */
oc_status och_state_put(struct och_state *st, const char *key, const void *value, size_t len,
                        struct oc_error *err);

#endif
