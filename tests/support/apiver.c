/* apiver.c - see apiver.h. */
#include "tests/support/apiver.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/json.h"

enum hs_api_version apiver(void)
{
    const char *name = getenv("OC_TEST_API_VERSION");
    enum hs_api_version v = HS_API_V3;
    if(name && *name && hs_api_version_parse(name, &v)) {
        fprintf(stderr, "OC_TEST_API_VERSION '%s' is not a version the plugin knows (%s)\n", name,
                hs_api_versions_known());
        exit(2);
    }
    return v;
}

const char *apiver_name(void) { return hs_api_version_name(apiver()); }

const char *apiver_path(enum hs_endpoint ep) { return hs_api_template(apiver(), ep); }

int apiver_rewrite(void *ctx, const char *path, struct kit_buf *out)
{
    enum hs_api_version to = ctx ? *(const enum hs_api_version *)ctx : apiver();
    if(to == HS_API_V3)
        return -1;
    return hs_api_path_translate(path, HS_API_V3, to, out);
}

static int read_text(const char *path, struct kit_buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n;
    if(!f)
        return -1;
    while((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        kit_buf_append(out, chunk, n);
    int bad = ferror(f);
    fclose(f);
    return bad || !kit_buf_ok(out) ? -1 : 0;
}

static int write_text(const char *path, const struct kit_buf *text, mode_t mode)
{
    FILE *f = fopen(path, "wb");
    if(!f)
        return -1;
    int bad = fwrite(text->data, 1, text->len, f) != text->len;
    bad |= fclose(f) != 0;
    return bad || chmod(path, mode) ? -1 : 0;
}

/* mkdir -p of the folder holding file. */
static int make_parents(const char *file)
{
    char p[4096];
    if(snprintf(p, sizeof p, "%s", file) >= (int)sizeof p)
        return -1;
    for(char *s = p + 1; *s; s++) {
        if(*s != '/')
            continue;
        *s = '\0';
        if(mkdir(p, 0700) && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return 0;
}

/* dir/apiver/<given>, the given path kept whole (leading '/' dropped) so
 * that it still shows in any message naming the file; a path climbing
 * out with ".." keeps its last part only. */
static void mirror_path(const char *dir, const char *given, struct kit_buf *out)
{
    const char *slash = strrchr(given, '/');
    if(strstr(given, ".."))
        given = slash ? slash + 1 : given;
    while(*given == '/')
        given++;
    kit_buf_printf(out, "%s/apiver/%s", dir, given);
}

/* text with every interactions[].request.path moved to version to,
 * appended to out; -1 when text is not a cassette this can read. */
static int translate_cassette(const struct kit_buf *text, enum hs_api_version to, struct kit_buf *out)
{
    struct kit_json j = {0};
    struct kit_buf path = KIT_BUF_INIT, moved = KIT_BUF_INIT, quoted = KIT_BUF_INIT;
    int rc = -1;
    size_t done = 0;
    if(kit_json_parse(&j, text->data, text->len, NULL, 0))
        goto fail;
    int arr = kit_json_get(&j, 0, "interactions");
    if(kit_json_type(&j, arr) != KIT_JSON_ARRAY)
        goto fail;
    for(int i = 0, t = arr + 1; i < kit_json_size(&j, arr); i++, t = kit_json_skip(&j, t)) {
        int p = kit_json_path(&j, t, "request.path");
        size_t len;
        if(kit_json_type(&j, p) != KIT_JSON_STRING)
            continue;
        kit_buf_reset(&path);
        kit_buf_reset(&moved);
        kit_buf_reset(&quoted);
        if(kit_json_str(&j, p, &path) || hs_api_path_translate(kit_buf_str(&path), HS_API_V3, to, &moved))
            continue;
        struct kit_jw w;
        kit_jw_init(&w, &quoted);
        kit_jw_str(&w, kit_buf_str(&moved));
        const char *raw = kit_json_raw(&j, p, &len);
        size_t at = (size_t)(raw - text->data);
        kit_buf_append(out, text->data + done, at - done);
        kit_buf_append(out, quoted.data + 1, quoted.len - 2); /* without the writer's quotes */
        done = at + len;
    }
    kit_buf_append(out, text->data + done, text->len - done);
    rc = kit_buf_ok(out) && kit_buf_ok(&moved) && kit_buf_ok(&quoted) ? 0 : -1;
fail:
    kit_json_free(&j);
    kit_buf_free(&path);
    kit_buf_free(&moved);
    kit_buf_free(&quoted);
    return rc;
}

static int copy_cassette_file(const char *from, const char *to, enum hs_api_version v)
{
    struct kit_buf text = KIT_BUF_INIT, moved = KIT_BUF_INIT;
    int rc = read_text(from, &text);
    if(!rc)
        rc = translate_cassette(&text, v, &moved);
    if(!rc)
        rc = make_parents(to);
    if(!rc)
        rc = write_text(to, &moved, 0600);
    kit_buf_free(&text);
    kit_buf_free(&moved);
    return rc;
}

static int has_json_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

int apiver_cassette_copy(const char *path, const char *dir, struct kit_buf *out)
{
    enum hs_api_version v = apiver();
    struct kit_buf to = KIT_BUF_INIT, from = KIT_BUF_INIT, into = KIT_BUF_INIT;
    struct stat sb;
    int rc = -1;
    if(v == HS_API_V3 || stat(path, &sb))
        return -1;
    mirror_path(dir, path, &to);
    if(!kit_buf_ok(&to))
        goto done;
    if(S_ISREG(sb.st_mode)) {
        rc = copy_cassette_file(path, kit_buf_str(&to), v);
    } else if(S_ISDIR(sb.st_mode)) {
        /* Every cassette the server would load; anything else stays out,
         * as the server would ignore it. */
        DIR *d = opendir(path);
        struct dirent *de;
        rc = d ? 0 : -1;
        while(!rc && (de = readdir(d)) != NULL) {
            if(de->d_name[0] == '.' || !has_json_suffix(de->d_name))
                continue;
            kit_buf_reset(&from);
            kit_buf_reset(&into);
            kit_buf_printf(&from, "%s/%s", path, de->d_name);
            kit_buf_printf(&into, "%s/%s", kit_buf_str(&to), de->d_name);
            rc = kit_buf_ok(&from) && kit_buf_ok(&into) ? copy_cassette_file(kit_buf_str(&from),
                                                                                 kit_buf_str(&into), v)
                                                        : -1;
        }
        if(d)
            closedir(d);
    }
    if(!rc)
        rc = kit_buf_puts(out, kit_buf_str(&to)) || !kit_buf_ok(out) ? -1 : 0;
done:
    kit_buf_free(&to);
    kit_buf_free(&from);
    kit_buf_free(&into);
    return rc;
}

/* Whether config text sets key api_version on some line. */
static int names_api_version(const char *text)
{
    for(const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        line += strspn(line, " \t");
        if(strncmp(line, "api_version", 11) == 0 && strchr(" \t=", line[11]))
            return 1;
    }
    return 0;
}

int apiver_config_copy(const char *config, const char *dir, struct kit_buf *out)
{
    enum hs_api_version v = apiver();
    struct kit_buf text = KIT_BUF_INIT, to = KIT_BUF_INIT;
    struct stat sb = {.st_mode = 0600};
    int rc = -1;
    if(v == HS_API_V3)
        return -1;
    if(config && (stat(config, &sb) || !S_ISREG(sb.st_mode) || read_text(config, &text) ||
                  names_api_version(kit_buf_str(&text))))
        goto done;
    if(text.len && text.data[text.len - 1] != '\n')
        kit_buf_putc(&text, '\n');
    kit_buf_printf(&text, "api_version = %s\n", hs_api_version_name(v));
    mirror_path(dir, config ? config : "api_version.conf", &to);
    if(!kit_buf_ok(&text) || !kit_buf_ok(&to) || make_parents(kit_buf_str(&to)) ||
       write_text(kit_buf_str(&to), &text, sb.st_mode & 07777))
        goto done;
    rc = kit_buf_puts(out, kit_buf_str(&to)) || !kit_buf_ok(out) ? -1 : 0;
done:
    kit_buf_free(&text);
    kit_buf_free(&to);
    return rc;
}
