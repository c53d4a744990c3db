/* cassette_events.c - see cassette_events.h. */
#include "tests/support/cassette_events.h"

#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "plugin/buf.h"

static int slurp(const char *path, struct kit_buf *b)
{
    FILE *f = fopen(path, "rb");
    if(!f)
        return -1;
    char chunk[65536];
    size_t n;
    while((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        kit_buf_append(b, chunk, n);
    int bad = ferror(f) || !kit_buf_ok(b);
    fclose(f);
    return bad ? -1 : 0;
}

size_t events_in_text(const char *what, const char *text, size_t len, cassette_event_fn fn, void *ctx)
{
    struct kit_json j = {0};
    if(kit_json_parse(&j, text, len, NULL, 0)) {
        kit_json_free(&j);
        return (size_t)-1;
    }
    size_t events = 0;
    for(int t = 0; t < j.ntok; t++) {
        int arr = kit_json_type(&j, t) == KIT_JSON_OBJECT ? kit_json_get(&j, t, "events") : -1;
        if(kit_json_type(&j, arr) != KIT_JSON_ARRAY)
            continue;
        for(int i = 0, ev = arr + 1; i < kit_json_size(&j, arr); i++, ev = kit_json_skip(&j, ev)) {
            char at[512];
            snprintf(at, sizeof at, "%s, event %d", what, i);
            fn(ctx, at, &j, ev);
            events++;
        }
    }
    kit_json_free(&j);
    return events;
}

size_t cassette_each_event(cassette_event_fn fn, void *ctx)
{
    glob_t gl;
    if(glob("fixtures/hubspot/*.json", 0, NULL, &gl))
        return (size_t)-1;
    struct kit_buf text = KIT_BUF_INIT;
    size_t events = 0;
    for(size_t c = 0; c < gl.gl_pathc && events != (size_t)-1; c++) {
        kit_buf_reset(&text);
        if(slurp(gl.gl_pathv[c], &text)) {
            events = (size_t)-1;
            break;
        }
        size_t n = strstr(kit_buf_str(&text), "\"events\"")
                       ? events_in_text(gl.gl_pathv[c], text.data, text.len, fn, ctx)
                       : 0;
        if(n != (size_t)-1)
            events += n;
    }
    kit_buf_free(&text);
    globfree(&gl);
    return events;
}
