/* session.c - setting up and tearing down a run; see session.h. */
#include "host-api/ochost/session.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixtures/replay.h"
#include "host-api/ochost/fixtures_dl.h"
#include "host-api/ochost/paths.h"
#include "host-api/ochost/status.h"
#include "host-api/ochost/timeparse.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/redact.h"

int och_session_report(struct och_session *s, oc_status status)
{
    och_host_progress_done(&s->host);
    int code = och_report(s->what, status, &s->err);
    /* Exit 3 promises "a lookup found nothing". NOT_FOUND from anything
     * else is an endpoint or object the configuration points at that is
     * not there (a retired API, a wrong base_url): a configuration error,
     * which no rerun fixes. */
    if(status == OC_E_NOT_FOUND && s->command != OCH_CMD_LOOKUP)
        code = OCH_EXIT_CONFIG;
    return code;
}

static int fail_msg(struct och_session *s, oc_status status)
{
    return och_session_report(s, status);
}

/* The first cassette the replay server loads (a file, or the first *.json
 * of a folder in name order), malloc'd path or NULL. */
static char *first_cassette(const char *path)
{
    struct stat sb;
    if(stat(path, &sb))
        return NULL;
    if(!S_ISDIR(sb.st_mode))
        return strdup(path);
    struct dirent **names = NULL;
    int n = scandir(path, &names, NULL, alphasort);
    char *found = NULL;
    for(int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        if(!found && len > 5 && strcmp(names[i]->d_name + len - 5, ".json") == 0) {
            struct kit_buf b = KIT_BUF_INIT;
            kit_buf_printf(&b, "%s/%s", path, names[i]->d_name);
            found = kit_buf_take(&b);
        }
        free(names[i]);
    }
    free(names);
    return found;
}

/* The virtual clock's start: the first cassette's recorded_at. */
static oc_status cassette_clock(const char *path, int64_t *start_ms, struct oc_error *err)
{
    char *file = first_cassette(path);
    struct kit_buf text = KIT_BUF_INIT;
    struct kit_json j = {0};
    char why[160];
    oc_status rc = OC_OK;
    FILE *f = NULL;

    if(!file)
        return kit_fail(err, OC_E_CONFIG, "no cassette (*.json) in %s", path);
    f = fopen(file, "rb");
    if(!f) {
        rc = kit_fail(err, OC_E_CONFIG, "cannot read cassette %s: %s", file, strerror(errno));
        goto out;
    }
    char chunk[8192];
    size_t got;
    while((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        kit_buf_append(&text, chunk, got);
    if(!kit_buf_ok(&text)) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory reading cassette %s", file);
        goto out;
    }
    if(kit_json_parse(&j, kit_buf_str(&text), text.len, why, sizeof why)) {
        rc = kit_fail(err, OC_E_CONFIG, "cassette %s is not valid JSON: %s", file, why);
        goto out;
    }
    int t = kit_json_get(&j, 0, "recorded_at");
    char *at = t >= 0 ? kit_json_strdup(&j, t) : NULL;
    if(!at || och_parse_time(at, start_ms, why, sizeof why))
        rc = kit_fail(err, OC_E_CONFIG,
                      "cassette %s needs \"recorded_at\" (ISO 8601) to start the replay clock%s%s", file,
                      at ? ": " : "", at ? why : "");
    free(at);
out:
    if(f)
        fclose(f);
    kit_json_free(&j);
    kit_buf_free(&text);
    free(file);
    return rc;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* --record: the plugin talks to the recording proxy with the placeholder
 * token; only the proxy holds the real one, and it never writes it. */
static int start_recorder(struct och_session *s, const char **base_url)
{
    char why[512];
    const struct fx_api *fx = och_fixtures_api("--record", &s->err);
    if(!fx)
        return fail_msg(s, s->err.status);
    const char *upstream = *base_url ? *base_url : OCH_DEFAULT_UPSTREAM;
    const char *file = strrchr(s->cli->record, '/');
    struct kit_buf scenario = KIT_BUF_INIT;
    file = file ? file + 1 : s->cli->record;
    size_t len = strlen(file);
    if(len > 5 && strcmp(file + len - 5, ".json") == 0)
        len -= 5;
    kit_buf_append(&scenario, file, len);
    int64_t now = s->host.host.now_ms(s->host.host.ctx);
    int r = fx->recorder_start(upstream, s->token, s->cli->record, kit_buf_str(&scenario), now, &s->rec, why,
                              sizeof why);
    kit_buf_free(&scenario);
    if(r) {
        s->rec = NULL;
        kit_fail(&s->err, OC_E_CONFIG, "cannot start recording into %s: %s", s->cli->record, why);
        return fail_msg(s, OC_E_CONFIG);
    }
    *base_url = fx->recorder_url(s->rec);
    och_log(&s->host, OC_LOG_INFO, "recording %s into %s through %s", upstream, s->cli->record, *base_url);
    return 0;
}

static int start_fixtures(struct och_session *s, const char **base_url)
{
    char why[512];
    int64_t start;
    oc_status rc = cassette_clock(s->cli->fixtures, &start, &s->err);
    if(rc)
        return fail_msg(s, rc);
    const struct fx_api *fx = och_fixtures_api(s->command == OCH_CMD_DEMO ? "demo" : "--fixtures", &s->err);
    if(!fx)
        return fail_msg(s, s->err.status);
    if(fx->server_start(s->cli->fixtures, NULL, &s->fx, why, sizeof why)) {
        kit_fail(&s->err, OC_E_CONFIG, "cannot start the replay server on %s: %s", s->cli->fixtures, why);
        return fail_msg(s, OC_E_CONFIG);
    }
    och_host_virtual_clock(&s->host, start);
    *base_url = fx->server_url(s->fx);
    s->token = FX_PLACEHOLDER_TOKEN;
    char when[40];
    och_format_time(start, when, sizeof when);
    och_log(&s->host, OC_LOG_INFO, "replaying %s at %s; clock starts at %s", s->cli->fixtures, *base_url, when);
    return 0;
}

int och_session_open(struct och_session *s, const struct och_cli *cli, int mode)
{
    const char *base_url = NULL;
    struct oc_option *opts = NULL;
    size_t nopts = 0;
    oc_status rc;
    int code = 0;

    memset(s, 0, sizeof *s);
    s->cli = cli;
    s->what = och_command_name(cli->command);
    s->command = cli->command;
    och_error_init(&s->err);
    och_host_init(&s->host, NULL, cli->verbosity);
    och_host_signals();

    rc = oc_manifest_load(cli->manifest, &s->manifest, &s->err);
    if(rc && cli->manifest_source && strcmp(cli->manifest_source, "--manifest") != 0) {
        /* Say why this file was read: the user named none. */
        char why[96];
        snprintf(why, sizeof why, "manifest chosen by %s", cli->manifest_source);
        kit_error_wrap(&s->err, rc, why, NULL);
    }
    if(rc)
        return fail_msg(s, rc == OC_E_NOMEM ? rc : OC_E_ABI);
    if(cli->config) {
        rc = och_config_load(&s->config, cli->config, s->manifest->options, stderr, &s->err);
        if(rc)
            return fail_msg(s, rc);
        if(cli->verbosity > 0) {
            struct kit_buf dump = KIT_BUF_INIT;
            och_config_dump(&s->config, s->manifest->options, &dump);
            och_log(&s->host, OC_LOG_INFO, "config %s:\n%s", cli->config, kit_buf_str(&dump));
            kit_buf_free(&dump);
        }
    }
    if(mode == OCH_SESSION_INSTANCE) {
        const char *state_path = cli->state;
        if(cli->fixtures && !cli->state_given) {
            snprintf(s->fx_tmpdir, sizeof s->fx_tmpdir, "/tmp/ochost-fixtures-XXXXXX");
            if(!mkdtemp(s->fx_tmpdir)) {
                s->fx_tmpdir[0] = '\0';
                kit_fail(&s->err, OC_E_IO, "cannot create a temporary state folder: %s",
                         strerror(errno));
                return fail_msg(s, OC_E_IO);
            }
            snprintf(s->fx_state, sizeof s->fx_state, "%s/fixtures.state", s->fx_tmpdir);
            state_path = s->fx_state;
        }
        char *default_state = NULL;
        if(!state_path) {
            rc = och_default_state_path(1, &default_state, &s->err);
            if(rc)
                return fail_msg(s, rc);
            state_path = default_state;
            och_log(&s->host, OC_LOG_INFO, "state file %s", state_path);
        }
        rc = och_state_open(&s->state, state_path, och_state_lock_wait_ms(), cli->verbosity >= 0 ? stderr : NULL,
                            &s->err);
        free(default_state);
        if(rc)
            return fail_msg(s, rc);
        s->host.state = &s->state;
        if(cli->fixtures) {
            code = start_fixtures(s, &base_url);
            if(code)
                return code;
        } else {
            const char *env = env_nonempty("HUBSPOT_ACCESS_TOKEN");
            s->token = env ? env : och_config_get(&s->config, "access_token");
            /* usage reads state only; --remote asks HubSpot and needs it. */
            int token_optional = cli->command == OCH_CMD_USAGE && !cli->remote;
            if((!s->token || !*s->token) && token_optional) {
                s->token = NULL;
            } else if(!s->token || !*s->token) {
                s->token = NULL;
                kit_fail(&s->err, OC_E_CONFIG,
                         "no access token: set HUBSPOT_ACCESS_TOKEN in the environment, or access_token in a "
                         "--config file (chmod 600); never pass it on the command line");
                return fail_msg(s, OC_E_CONFIG);
            }
            if(s->token)
                och_log(&s->host, OC_LOG_INFO, "access token from %s",
                        env ? "HUBSPOT_ACCESS_TOKEN" : cli->config);
            base_url = env_nonempty("HUBSPOT_BASE_URL");
            if(!base_url)
                base_url = och_config_get(&s->config, "base_url");
            if(base_url)
                och_log(&s->host, OC_LOG_INFO, "HubSpot base URL %s", base_url);
        }
        kit_redact_register(s->token);
        if(cli->record) {
            code = start_recorder(s, &base_url);
            if(code)
                return code;
        }
    }

    rc = oc_plugin_load(s->manifest, &s->plugin, &s->err);
    s->manifest = NULL; /* the loader owns it now, in every case */
    if(rc)
        return fail_msg(s, rc == OC_E_NOMEM ? rc : OC_E_ABI);
    s->conn = &s->plugin->connector;
    if(mode != OCH_SESSION_INSTANCE)
        return 0;

    opts = calloc(s->config.n + 4, sizeof *opts);
    if(!opts)
        return fail_msg(s, kit_fail(&s->err, OC_E_NOMEM, "out of memory building plugin options"));
    for(size_t i = 0; i < s->config.n; i++) {
        const char *k = s->config.e[i].key;
        if(strcmp(k, "access_token") != 0 && strcmp(k, "base_url") != 0)
            opts[nopts++] = (struct oc_option){k, s->config.e[i].value};
    }
    if(s->rec || s->token)
        opts[nopts++] = (struct oc_option){"access_token", s->rec ? FX_PLACEHOLDER_TOKEN : s->token};
    else /* usage without a token: the plugin reports from state alone */
        opts[nopts++] = (struct oc_option){"usage_only", "1"};
    if(s->command == OCH_CMD_USAGE && s->cli->remote)
        opts[nopts++] = (struct oc_option){"usage_remote", "1"};
    if(base_url)
        opts[nopts++] = (struct oc_option){"base_url", base_url};
    och_error_init(&s->err);
    rc = s->conn->init(&s->host.host, opts, nopts, &s->inst, &s->err);
    free(opts);
    if(rc) {
        s->inst = NULL;
        return fail_msg(s, rc);
    }
    return 0;
}

/* A save that failed at any point fails the run: what it would have kept
 * (usage counts that daily_budget relies on, a cursor) is not kept, and a
 * zero exit would let cron carry on as if it were. */
static int state_failure(struct och_session *s, int code)
{
    if(!s->host.state_failed)
        return code;
    fprintf(stderr,
            "ochost: %s: the state could not be saved: %s. Until a save works, what this run changed is not "
            "remembered: its API calls are not in the usage counts that daily_budget and `ochost usage` rely "
            "on, and a pull rerun starts from the last saved cursor, so it can emit records this run already "
            "wrote. Free space or fix the folder, then rerun (or run `ochost usage` to check)\n",
            s->what, s->host.state_err.message);
    /* 7 would say "nothing lost, a rerun resumes": not so while saves fail. */
    return code && code != OCH_EXIT_TRANSIENT ? code : OCH_EXIT_CONFIG;
}

int och_session_close(struct och_session *s, int code)
{
    och_host_progress_done(&s->host);
    if(s->inst && s->conn && s->conn->release)
        s->conn->release(s->inst);
    s->inst = NULL;
    code = state_failure(s, code);
    /* A server or recorder exists only once the library was loaded, so
     * this returns the loaded table and touches no error. */
    const struct fx_api *fx = s->fx || s->rec ? och_fixtures_api("--fixtures", &s->err) : NULL;
    if(s->fx && fx) {
        struct kit_buf report = KIT_BUF_INIT;
        if(fx->server_verify(s->fx, &report)) {
            /* A run that stopped early (bad list, refused token, budget)
             * always leaves interactions unused: its own exit code says
             * more than 7 would. An unmatched request is different: the
             * plugin got a 599 no HubSpot would send, so whatever it then
             * decided means nothing, and the replay failed. */
            size_t unmatched = fx->server_unmatched(s->fx);
            if(unmatched || !code)
                fprintf(stderr, "ochost: %s: the replay did not match the fixtures %s:\n", s->what,
                        s->cli->fixtures);
            else
                fprintf(stderr,
                        "ochost: %s: the run stopped early (exit %d), so the fixtures %s were not all "
                        "used:\n",
                        s->what, code, s->cli->fixtures);
            fprintf(stderr, "%s%s", kit_buf_str(&report),
                    report.len && report.data[report.len - 1] == '\n' ? "" : "\n");
            if(unmatched || !code)
                code = OCH_EXIT_TRANSIENT;
        }
        kit_buf_free(&report);
        fx->server_stop(s->fx);
        s->fx = NULL;
    }
    if(s->rec && fx) {
        char why[512];
        size_t n = fx->recorder_interactions(s->rec), failed = fx->recorder_failures(s->rec);
        if(failed)
            fprintf(stderr, "ochost: %s: %zu requests could not be forwarded and are not in %s\n", s->what,
                    failed, s->cli->record);
        if(fx->recorder_stop(s->rec, why, sizeof why)) {
            fprintf(stderr, "ochost: %s: cassette %s not written: %s\n", s->what, s->cli->record, why);
            code = OCH_EXIT_TRANSIENT;
        } else if(s->cli->verbosity >= 0)
            fprintf(stderr, "ochost: %s: recorded %zu interactions into %s\n", s->what, n, s->cli->record);
        s->rec = NULL;
    }
    if(s->token)
        kit_redact_forget(s->token);
    s->token = NULL;
    if(s->plugin)
        oc_plugin_free(s->plugin);
    if(s->manifest)
        oc_manifest_free(s->manifest);
    och_config_free(&s->config);
    och_state_free(&s->state);
    if(s->fx_tmpdir[0]) {
        char lock[128];
        snprintf(lock, sizeof lock, "%s.lock", s->fx_state);
        unlink(s->fx_state);
        unlink(lock);
        rmdir(s->fx_tmpdir);
        s->fx_tmpdir[0] = '\0';
    }
    if(fflush(stdout) && !code) {
        fprintf(stderr, "ochost: %s: cannot write to stdout: %s\n", s->what, strerror(errno));
        code = OCH_EXIT_TRANSIENT;
    }
    return code;
}
