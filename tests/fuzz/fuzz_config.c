/*
 * fuzz_config.c - the ochost --config file reader (och_config_load in
 * host-api/ochost/config.c) on arbitrary bytes, through a memfd since it
 * takes a path. Loaded twice: against the plugin's real option list (as
 * ochost does) and with no list (any key). Checks: a refusal leaves the
 * config empty and names the file; an accepted file yields entries that
 * och_config_get finds, keys the option list knows, and a dump with one
 * line per entry that never shows the access token.
 */
#include "host-api/ochost/config.h"
#include "plugin/buf.h"
#include "tests/fuzz/fuzz.h"

int fuzz_config_one(const uint8_t *data, size_t size);

/* plugin.manifest's options line (a trailing '*' marks a secret). */
static const char fcfg_options[] =
    "access_token*,base_url,api_version,daily_budget,burst_max,burst_window_ms,timeout_ms,"
    "connect_timeout_ms,max_retries,max_concurrency,lookback_ms,pull_window_ms,pull_start_days,"
    "lookup_properties,cache_ttl_ms,membership_chunk";

static void fcfg_load(const char *path, const char *options)
{
    struct och_config cfg;
    struct oc_error err;
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    oc_status rc = och_config_load(&cfg, path, options, NULL, &err);
    if(rc != OC_OK) {
        FUZZ_REQUIRE(cfg.n == 0 && cfg.e == NULL, "refused config left %zu entries", cfg.n);
        /* Inputs are small: "out of memory" can only be a wrong diagnosis. */
        FUZZ_REQUIRE(rc != OC_E_NOMEM, "config refused as out of memory: %s", err.message);
        FUZZ_REQUIRE(err.status == rc, "err.status %d != returned %d", err.status, rc);
        FUZZ_REQUIRE(strstr(err.message, path) != NULL, "refusal does not name the file: %s",
                     err.message);
        och_config_free(&cfg);
        return;
    }
    for(size_t i = 0; i < cfg.n; i++) {
        const struct och_config_entry *e = &cfg.e[i];
        FUZZ_REQUIRE(e->key && e->value && e->key[0], "entry %zu incomplete", i);
        FUZZ_REQUIRE(och_config_get(&cfg, e->key) == e->value, "och_config_get(%s) is not entry %zu",
                     e->key, i);
        FUZZ_REQUIRE(!options || och_option_known(options, e->key), "accepted unknown key %s",
                     e->key);
        FUZZ_REQUIRE(e->line >= 1, "entry %zu on line %d", i, e->line);
    }
    struct kit_buf dump = KIT_BUF_INIT;
    och_config_dump(&cfg, fcfg_options, &dump);
    /* Line by line: the access_token line shows "[hidden]", never the value. */
    if(kit_buf_ok(&dump)) {
        const char *p = kit_buf_str(&dump);
        size_t lines = 0;
        while(*p) {
            const char *nl = strchr(p, '\n');
            FUZZ_REQUIRE(nl != NULL, "dump line without newline");
            if(!strncmp(p, "access_token = ", 15))
                FUZZ_REQUIRE(nl - p == 15 + 8 && !strncmp(p + 15, "[hidden]", 8),
                             "dump shows the access token: %.*s", (int)(nl - p), p);
            lines++;
            p = nl + 1;
        }
        /* A value holding a newline would forge a line; none can (fgets). */
        FUZZ_REQUIRE(lines == cfg.n, "dump has %zu lines for %zu entries", lines, cfg.n);
    }
    kit_buf_free(&dump);
    och_config_free(&cfg);
}

int fuzz_config_one(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if(fd < 0)
        return 0;
    fcfg_load(path, fcfg_options);
    fcfg_load(path, NULL);
    close(fd);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_config_one(data, size);
}
#endif
