/* pull_state.c - see pull_state.h. */
#include "hubspot/pull_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/error.h"
#include "plugin/json.h"

#define STATE_VERSION 1

struct hs_event_slot {
    uint32_t at; /* 1 + the id's offset in the set's text; 0: empty slot */
    int64_t created;
    uint64_t hash;
};

/* ---- event identity set: open addressing, linear probing ----
 *
 * Ids live back to back (NUL-terminated) in one text buffer per set
 * rather than one allocation each: the page set takes a page's thousand
 * ids and lets them go at the page's end, and a thousand small
 * allocations per page landed beyond the page's big buffers and pinned
 * the heap's top, so that a page slightly larger than the one before
 * could no longer reuse its predecessor's memory and the process grew. */

static const char *slot_id(const struct hs_event_set *s, const struct hs_event_slot *e)
{
    return s->text.data + e->at - 1;
}

static uint64_t ident_hash(const char *id, int64_t created)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for(const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    h ^= (uint64_t)created * 0x9E3779B97F4A7C15u;
    return h ^ (h >> 29);
}

/* The slot of (id, created) in a table of cap slots whose ids are in
 * text, or the empty slot where it would go. */
static struct hs_event_slot *find_slot(struct hs_event_slot *slot, size_t cap, const char *text,
                                       const char *id, int64_t created, uint64_t h)
{
    size_t mask = cap - 1;
    for(size_t i = h & mask;; i = (i + 1) & mask) {
        struct hs_event_slot *e = &slot[i];
        if(!e->at || (e->hash == h && e->created == created && !strcmp(text + e->at - 1, id)))
            return e;
    }
}

int hs_event_set_has(const struct hs_event_set *s, const char *id, int64_t created)
{
    if(!s->n)
        return 0;
    return find_slot(s->slot, s->cap, s->text.data, id, created, ident_hash(id, created))->at != 0;
}

/* Append id to text: its slot's `at`, or 0 when memory ran out (or text
 * would pass what a slot can address). */
static uint32_t put_id(struct kit_buf *text, const char *id)
{
    size_t len = strlen(id) + 1, at = text->len;
    if(len > UINT32_MAX - 1 - at || kit_buf_append(text, id, len))
        return 0;
    return (uint32_t)at + 1;
}

/* Move every entry with created >= min_created into a table of cap slots
 * (a power of two); when some are dropped their ids leave the text too. */
static int rehash(struct hs_event_set *s, size_t cap, int64_t min_created)
{
    struct hs_event_slot *slot = calloc(cap, sizeof *slot);
    if(!slot)
        return -1;
    int dropping = 0;
    for(size_t i = 0; i < s->cap && !dropping; i++)
        dropping = s->slot[i].at && s->slot[i].created < min_created;
    struct kit_buf text = KIT_BUF_INIT;
    size_t n = 0;
    for(size_t i = 0; i < s->cap; i++) {
        struct hs_event_slot e = s->slot[i];
        if(!e.at || e.created < min_created)
            continue;
        if(dropping && !(e.at = put_id(&text, slot_id(s, &s->slot[i])))) {
            kit_buf_free(&text);
            free(slot);
            return -1;
        }
        *find_slot(slot, cap, dropping ? text.data : s->text.data, slot_id(s, &s->slot[i]), e.created,
                   e.hash) = e;
        n++;
    }
    if(dropping) {
        kit_buf_free(&s->text);
        s->text = text;
    }
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
    s->n = n;
    s->json_ok = 0;
    return 0;
}

int hs_event_set_add(struct hs_event_set *s, const char *id, int64_t created)
{
    /* Keep the load factor under 1/2 so probes stay short. */
    if((s->n + 1) * 2 > s->cap && rehash(s, s->cap ? s->cap * 2 : 16, HS_PULL_NONE))
        return -1;
    uint64_t h = ident_hash(id, created);
    struct hs_event_slot *e = find_slot(s->slot, s->cap, s->text.data, id, created, h);
    if(e->at)
        return 0;
    if(!(e->at = put_id(&s->text, id)))
        return -1;
    e->created = created;
    e->hash = h;
    s->n++;
    s->json_ok = 0;
    return 1;
}

int hs_event_set_prune(struct hs_event_set *s, int64_t min_created)
{
    if(!s->cap)
        return 0;
    size_t keep = 0;
    for(size_t i = 0; i < s->cap; i++)
        if(s->slot[i].at && s->slot[i].created >= min_created)
            keep++;
    if(keep == s->n)
        return 0;
    size_t cap = 16;
    while(keep * 2 > cap)
        cap *= 2;
    return rehash(s, cap, min_created);
}

void hs_event_set_empty(struct hs_event_set *s)
{
    if(s->n)
        memset(s->slot, 0, s->cap * sizeof *s->slot);
    kit_buf_reset(&s->text);
    s->n = 0;
    s->json_ok = 0;
}

void hs_event_set_clear(struct hs_event_set *s)
{
    /* A small table is kept: at_low is emptied for nearly every event of a
     * page (each is older than the last), and reallocating it each time
     * would be the pull's main allocation cost; a large one would make
     * each of those clears slow. */
    if(s->cap > 64)
        hs_event_set_free(s);
    else
        hs_event_set_empty(s);
}

void hs_event_set_free(struct hs_event_set *s)
{
    free(s->slot);
    kit_buf_free(&s->text);
    kit_buf_free(&s->json);
    memset(s, 0, sizeof *s);
}

/* ---- stream state ---- */

void hs_stream_state_init(struct hs_stream_state *s)
{
    memset(s, 0, sizeof *s);
    s->cursor = HS_PULL_NONE;
    s->seen_from = HS_PULL_NONE;
    s->low = HS_PULL_NONE;
    s->page_low = HS_PULL_NONE;
}

void hs_stream_state_free(struct hs_stream_state *s)
{
    hs_event_set_free(&s->seen);
    hs_event_set_free(&s->at_low);
    hs_event_set_free(&s->page);
    free(s->offset);
    hs_stream_state_init(s);
}

/* Forget a window's progress (paging offset, low mark, the events at it
 * and on the current page), as at its start and after its end. */
static void window_progress_clear(struct hs_stream_state *s)
{
    free(s->offset);
    s->offset = NULL;
    s->low = HS_PULL_NONE;
    s->page_low = HS_PULL_NONE;
    hs_event_set_clear(&s->at_low);
    hs_event_set_empty(&s->page);
}

void hs_stream_begin(struct hs_stream_state *s, int64_t start, int64_t end)
{
    s->in_window = 1;
    s->start = start;
    s->end = end;
    s->query_end = end;
    window_progress_clear(s);
}

int hs_stream_processed(const struct hs_stream_state *s, const char *id, int64_t created)
{
    if(s->page_low != HS_PULL_NONE && created > s->page_low)
        return 1;
    return (created == s->low && hs_event_set_has(&s->at_low, id, created)) ||
           hs_event_set_has(&s->seen, id, created) || hs_event_set_has(&s->page, id, created);
}

void hs_stream_page_begin(struct hs_stream_state *s) { s->page_low = s->low; }

/* Move what the page handled into the low mark: low drops to the oldest
 * event of the page and at_low holds the ids at it. Done only once a
 * page is complete (or abandoned by a restart): a page that stops half
 * way keeps low where the page began and its handled ids in page, so an
 * event of the page that HubSpot sent out of order (newer than one
 * already handled) is not mistaken for processed by the rerun. */
static int fold_page(struct hs_stream_state *s)
{
    int64_t min = s->low;
    for(size_t i = 0; i < s->page.cap; i++)
        if(s->page.slot[i].at && (min == HS_PULL_NONE || s->page.slot[i].created < min))
            min = s->page.slot[i].created;
    if(min != s->low) {
        s->low = min;
        hs_event_set_clear(&s->at_low);
    }
    for(size_t i = 0; i < s->page.cap; i++)
        if(s->page.slot[i].at && s->page.slot[i].created == s->low &&
           hs_event_set_add(&s->at_low, slot_id(&s->page, &s->page.slot[i]), s->low) < 0)
            return -1;
    /* The next page fills it to the same size: table and text are kept. */
    hs_event_set_empty(&s->page);
    return 0;
}

int hs_stream_mark(struct hs_stream_state *s, const char *id, int64_t created, int64_t keep_from)
{
    if(hs_event_set_add(&s->page, id, created) < 0)
        return -1;
    if(created >= keep_from)
        return hs_event_set_add(&s->seen, id, created) < 0 ? -1 : 0;
    if(s->seen_from == HS_PULL_NONE || created >= s->seen_from)
        s->seen_from = created + 1;
    return 0;
}

int hs_stream_page_done(struct hs_stream_state *s, const char *next)
{
    char *copy = next ? strdup(next) : NULL;
    if(next && !copy)
        return -1;
    if(fold_page(s)) {
        free(copy);
        return -1;
    }
    free(s->offset);
    s->offset = copy;
    return 0;
}

int hs_stream_restart(struct hs_stream_state *s)
{
    /* Everything newer than low was processed (newest-first order), so
     * only [start, low] is asked again; ties at low are skipped by at_low. */
    if(fold_page(s))
        return -1;
    if(s->low != HS_PULL_NONE && s->low < s->query_end)
        s->query_end = s->low < s->start ? s->start : s->low;
    free(s->offset);
    s->offset = NULL;
    return 0;
}

int hs_stream_forget_before(struct hs_stream_state *s, int64_t min_created)
{
    if(hs_event_set_prune(&s->seen, min_created))
        return -1;
    if(s->seen_from == HS_PULL_NONE || s->seen_from < min_created)
        s->seen_from = min_created;
    return 0;
}

int hs_stream_finish(struct hs_stream_state *s, int64_t lookback_ms)
{
    if(hs_stream_forget_before(s, s->end - lookback_ms))
        return -1;
    s->cursor = s->end;
    s->in_window = 0;
    s->start = s->end = s->query_end = 0;
    window_progress_clear(s);
    return 0;
}

int64_t hs_pull_window_span(int64_t last_span, uint64_t last_events)
{
    if(!last_events)
        return INT64_MAX;
    double span = (double)last_span * HS_PULL_WINDOW_TARGET_EVENTS / (double)last_events;
    if(span >= (double)(INT64_MAX / 2))
        return INT64_MAX;
    return span < HS_PULL_WINDOW_MIN_MS ? HS_PULL_WINDOW_MIN_MS : (int64_t)span;
}

/* ---- serialization ---- */

static void pairs(struct kit_jw *w, const struct hs_event_set *set)
{
    kit_jw_arr(w);
    for(size_t i = 0; i < set->cap; i++) {
        if(!set->slot[i].at)
            continue;
        kit_jw_arr(w);
        kit_jw_str(w, slot_id(set, &set->slot[i]));
        kit_jw_int(w, set->slot[i].created);
        kit_jw_arr_end(w);
    }
    kit_jw_arr_end(w);
}

static void write_pairs(struct kit_jw *w, const char *key, struct hs_event_set *set)
{
    kit_jw_key(w, key);
    if(!set->json_ok) {
        struct kit_jw sw;
        kit_buf_reset(&set->json);
        kit_jw_init(&sw, &set->json);
        pairs(&sw, set);
        set->json_ok = !kit_jw_error(&sw) && kit_buf_ok(&set->json);
        if(!set->json_ok) { /* out of memory for the copy: write it directly */
            kit_buf_free(&set->json);
            pairs(w, set);
            return;
        }
    }
    kit_jw_raw(w, set->json.data, set->json.len);
}

int hs_stream_state_json(struct hs_stream_state *s, struct kit_buf *out)
{
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    kit_jw_kint(&w, "v", STATE_VERSION);
    if(s->cursor != HS_PULL_NONE)
        kit_jw_kint(&w, "cursor", s->cursor);
    if(s->seen_from != HS_PULL_NONE)
        kit_jw_kint(&w, "seen_from", s->seen_from);
    write_pairs(&w, "seen", &s->seen);
    if(s->in_window) {
        kit_jw_key(&w, "window");
        kit_jw_obj(&w);
        kit_jw_kint(&w, "start", s->start);
        kit_jw_kint(&w, "end", s->end);
        if(s->query_end != s->end)
            kit_jw_kint(&w, "query_end", s->query_end);
        if(s->offset)
            kit_jw_kstr(&w, "offset", s->offset);
        if(s->low != HS_PULL_NONE) {
            kit_jw_kint(&w, "low", s->low);
            kit_jw_key(&w, "at_low");
            kit_jw_arr(&w);
            for(size_t i = 0; i < s->at_low.cap; i++)
                if(s->at_low.slot[i].at)
                    kit_jw_str(&w, slot_id(&s->at_low, &s->at_low.slot[i]));
            kit_jw_arr_end(&w);
        }
        if(s->page.n)
            write_pairs(&w, "page", &s->page);
        kit_jw_obj_end(&w);
    }
    kit_jw_obj_end(&w);
    return kit_jw_error(&w) ? -1 : 0;
}

static int get_int(const struct kit_json *j, int obj, const char *key, int64_t *v, int required)
{
    int t = kit_json_get(j, obj, key);
    if(t < 0)
        return required ? -1 : 0;
    return kit_json_type(j, t) == KIT_JSON_NUMBER && kit_json_int64(j, t, v) == 0 ? 0 : -1;
}

static int read_pairs(const struct kit_json *j, int obj, const char *key, struct hs_event_set *set,
                      struct kit_buf *tmp)
{
    int arr = kit_json_get(j, obj, key);
    if(arr < 0)
        return 0;
    if(kit_json_type(j, arr) != KIT_JSON_ARRAY)
        return -1;
    for(int i = 0, t = arr + 1; i < kit_json_size(j, arr); i++, t = kit_json_skip(j, t)) {
        int64_t created;
        kit_buf_reset(tmp);
        if(kit_json_type(j, t) != KIT_JSON_ARRAY || kit_json_size(j, t) != 2 ||
           kit_json_type(j, t + 1) != KIT_JSON_STRING || kit_json_str(j, t + 1, tmp) ||
           kit_json_type(j, t + 2) != KIT_JSON_NUMBER || kit_json_int64(j, t + 2, &created) ||
           hs_event_set_add(set, kit_buf_str(tmp), created) < 0)
            return -1;
    }
    return 0;
}

int hs_stream_state_parse(struct hs_stream_state *s, const char *text, size_t len, char *why,
                          size_t whysize)
{
    hs_stream_state_init(s);
    struct kit_json j = {0};
    struct kit_buf tmp = KIT_BUF_INIT;
    const char *what = "not a JSON object";
    char jwhy[128] = "";
    int64_t v = 0;
    if(kit_json_parse(&j, text, len, jwhy, sizeof jwhy)) {
        snprintf(why, whysize, "not valid JSON (%s)", jwhy);
        goto fail;
    }
    if(kit_json_type(&j, 0) != KIT_JSON_OBJECT)
        goto bad;
    what = "unsupported version";
    if(get_int(&j, 0, "v", &v, 1) || v != STATE_VERSION)
        goto bad;
    what = "bad cursor";
    if(kit_json_get(&j, 0, "cursor") >= 0 && get_int(&j, 0, "cursor", &s->cursor, 1))
        goto bad;
    what = "bad seen_from";
    if(kit_json_get(&j, 0, "seen_from") >= 0 && get_int(&j, 0, "seen_from", &s->seen_from, 1))
        goto bad;
    what = "bad seen list";
    if(read_pairs(&j, 0, "seen", &s->seen, &tmp))
        goto bad;
    int win = kit_json_get(&j, 0, "window");
    if(win >= 0) {
        what = "bad window";
        if(kit_json_type(&j, win) != KIT_JSON_OBJECT || get_int(&j, win, "start", &s->start, 1) ||
           get_int(&j, win, "end", &s->end, 1) || s->start > s->end)
            goto bad;
        s->in_window = 1;
        s->query_end = s->end;
        if(get_int(&j, win, "query_end", &s->query_end, 0) || s->query_end < s->start ||
           s->query_end > s->end)
            goto bad;
        int t = kit_json_get(&j, win, "offset");
        if(t >= 0 && (kit_json_type(&j, t) != KIT_JSON_STRING || !(s->offset = kit_json_strdup(&j, t))))
            goto bad;
        t = kit_json_get(&j, win, "low");
        if(t >= 0) {
            if(get_int(&j, win, "low", &s->low, 1))
                goto bad;
            int arr = kit_json_get(&j, win, "at_low");
            if(kit_json_type(&j, arr) != KIT_JSON_ARRAY)
                goto bad;
            for(int i = 0, it = arr + 1; i < kit_json_size(&j, arr); i++, it = kit_json_skip(&j, it)) {
                kit_buf_reset(&tmp);
                if(kit_json_type(&j, it) != KIT_JSON_STRING || kit_json_str(&j, it, &tmp) ||
                   hs_event_set_add(&s->at_low, kit_buf_str(&tmp), s->low) < 0)
                    goto bad;
            }
        }
        if(read_pairs(&j, win, "page", &s->page, &tmp))
            goto bad;
    }
    kit_json_free(&j);
    kit_buf_free(&tmp);
    return 0;
bad:
    snprintf(why, whysize, "%s", what);
fail:
    kit_json_free(&j);
    kit_buf_free(&tmp);
    hs_stream_state_free(s);
    return -1;
}

oc_status hs_stream_state_load(const struct oc_host *host, const char *key,
                               struct hs_stream_state *s, struct oc_error *err)
{
    hs_stream_state_init(s);
    if(!host || !host->state_get)
        return OC_OK;
    char small[4096];
    char *buf = small;
    size_t len = 0;
    oc_status rc = host->state_get(host->ctx, key, small, sizeof small, &len);
    if(rc == OC_E_NOT_FOUND)
        return OC_OK;
    if(rc == OC_E_RANGE) {
        buf = malloc(len ? len : 1);
        if(!buf)
            return kit_fail(err, OC_E_NOMEM, "out of memory reading state %s (%zu bytes)", key, len);
        size_t want = len;
        rc = host->state_get(host->ctx, key, buf, want, &len);
    }
    if(rc) {
        rc = kit_fail(err, OC_E_IO, "reading state %s failed (status %d); check the state file",
                     key, rc);
        goto out;
    }
    char why[160];
    /* CONFIG, not IO: the same bytes fail the same way on every rerun, so
     * only the user can fix it. */
    if(hs_stream_state_parse(s, buf, len, why, sizeof why))
        rc = kit_fail(err, OC_E_CONFIG,
                     "state key \"%s\" is unreadable (%s), and a rerun will not fix it. To start "
                     "this stream over, delete the \"%s\" member from the state file (with "
                     "ochost: the JSON object in --state FILE, default ./ochost.state) and rerun "
                     "with --since set to where events should start again; events after that may "
                     "be emitted a second time. Moving the whole state file aside resets every "
                     "stream's cursor and today's usage counts instead",
                     key, why, key);
out:
    if(buf != small)
        free(buf);
    return rc;
}

oc_status hs_stream_state_save(const struct oc_host *host, const char *key,
                               struct hs_stream_state *s, struct kit_buf *scratch,
                               struct oc_error *err)
{
    if(!host || !host->state_put)
        return OC_OK;
    kit_buf_reset(scratch);
    if(hs_stream_state_json(s, scratch))
        return kit_fail(err, OC_E_NOMEM, "out of memory saving state %s", key);
    oc_status rc = host->state_put(host->ctx, key, scratch->data, scratch->len);
    if(rc)
        return kit_fail(err, OC_E_IO,
                       "saving state %s failed (status %d); check that the state file is "
                       "writable, then rerun",
                       key, rc);
    return OC_OK;
}
