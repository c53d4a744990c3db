/* paths.c - default manifest and state locations; see paths.h. */
#include "host-api/ochost/paths.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ochost_build.h"
#include "plugin/buf.h"
#include "plugin/error.h"
#include "plugin/text.h"

const char *och_version(void) { return OCH_VERSION; }

const char *och_installed_manifest(void) { return OCH_INSTALLED_MANIFEST; }

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* 1 when path is there (or is there but cannot be examined: the loader
 * then says why it cannot be read), 0 when it does not exist. */
static int present(const char *path)
{
    struct stat sb;
    if(stat(path, &sb) == 0)
        return 1;
    return errno != ENOENT && errno != ENOTDIR;
}

char *och_self_path(const char *installed_path, const char *build_name)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if(n <= 0 || (size_t)n >= sizeof exe - 1)
        return NULL;
    exe[n] = '\0';
    char *dir = kit_dir_of(exe);
    if(!dir)
        return NULL;
    size_t dl = strlen(dir), bl = strlen(OCH_BINDIR);
    struct kit_buf b = KIT_BUF_INIT;
    if(OCH_BINDIR[0] == '/' && dl >= bl && strcmp(dir + dl - bl, OCH_BINDIR) == 0)
        kit_buf_printf(&b, "%.*s%s", (int)(dl - bl), dir, installed_path);
    else if(build_name)
        kit_buf_printf(&b, "%s/%s", dir, build_name);
    free(dir);
    return kit_buf_take(&b);
}

oc_status och_find_manifest(const char *given, char **path_out, const char **source_out,
                            struct oc_error *err)
{
    const char *env = env_nonempty("OCHOST_MANIFEST");
    char *staged = NULL;
    struct kit_buf tried = KIT_BUF_INIT;
    oc_status rc = OC_OK;

    *path_out = NULL;
    if(given || env) {
        *source_out = given ? "--manifest" : "OCHOST_MANIFEST";
        *path_out = strdup(given ? given : env);
        goto out;
    }
    staged = och_self_path(OCH_INSTALLED_MANIFEST, NULL);
    if(staged && present(staged)) {
        *source_out = "the installed layout";
        *path_out = staged;
        staged = NULL;
        goto out;
    }
    if(present(OCH_INSTALLED_MANIFEST)) {
        *source_out = "the installed layout";
        *path_out = strdup(OCH_INSTALLED_MANIFEST);
        goto out;
    }
    if(present("./plugin.manifest")) {
        *source_out = "the current directory";
        *path_out = strdup("./plugin.manifest");
        goto out;
    }
    if(staged)
        kit_buf_printf(&tried, "%s, ", staged);
    kit_buf_printf(&tried, "%s, ./plugin.manifest", OCH_INSTALLED_MANIFEST);
    rc = kit_fail(err, OC_E_ABI,
                  "no plugin manifest found: OCHOST_MANIFEST is not set and none of %s exists; install the "
                  "plugin (make install), or pass --manifest FILE or set OCHOST_MANIFEST to its "
                  "plugin.manifest",
                  kit_buf_ok(&tried) ? kit_buf_str(&tried) : "the default places");
    goto done;
out:
    if(!*path_out)
        rc = kit_fail(err, OC_E_NOMEM, "out of memory choosing the plugin manifest");
done:
    free(staged);
    kit_buf_free(&tried);
    return rc;
}

/* Create the folders of path (mode 0700) that are missing, except within
 * its first keep bytes: those must exist already (a home folder is the
 * system's to make, not ours). path is modified in place and restored. */
static int make_dirs(char *path, size_t keep)
{
    for(char *p = path + 1;; p++) {
        if(*p != '/' && *p != '\0')
            continue;
        if((size_t)(p - path) <= keep) {
            char saved = *p;
            struct stat sb;
            *p = '\0';
            int r = stat(path, &sb);
            *p = saved;
            if(r)
                return -1;
            if(!saved)
                return 0;
            continue;
        }
        char saved = *p;
        *p = '\0';
        int r = mkdir(path, 0700);
        int e = errno;
        *p = saved;
        if(r && e != EEXIST) {
            errno = e;
            return -1;
        }
        if(!saved)
            return 0;
    }
}

oc_status och_default_state_path(int create_dir, char **path_out, struct oc_error *err)
{
    const char *xdg = env_nonempty("XDG_STATE_HOME");
    const char *home = env_nonempty("HOME");
    struct kit_buf dir = KIT_BUF_INIT;
    oc_status rc = OC_OK;
    size_t keep = 0;

    *path_out = NULL;
    /* The XDG spec: a relative XDG_STATE_HOME is invalid and ignored. */
    if(xdg && xdg[0] == '/')
        kit_buf_printf(&dir, "%s/ochost", xdg);
    else {
        if(!home) {
            struct passwd *pw = getpwuid(getuid());
            home = pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
        }
        if(!home)
            return kit_fail(err, OC_E_CONFIG,
                            "no default state file: neither XDG_STATE_HOME nor HOME is set and this user has "
                            "no home folder; pass --state FILE");
        kit_buf_printf(&dir, "%s/.local/state/ochost", strcmp(home, "/") == 0 ? "" : home);
        keep = strcmp(home, "/") == 0 ? 0 : strlen(home);
    }
    if(!kit_buf_ok(&dir)) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory choosing the state file");
        goto out;
    }
    if(create_dir && make_dirs(dir.data, keep)) {
        rc = kit_fail(err, OC_E_CONFIG,
                      "cannot create the state folder %s: %s; make its parent writable, set XDG_STATE_HOME to "
                      "a writable folder, or pass --state FILE",
                      kit_buf_str(&dir), strerror(errno));
        goto out;
    }
    kit_buf_puts(&dir, "/ochost.state");
    *path_out = kit_buf_take(&dir);
    if(!*path_out)
        rc = kit_fail(err, OC_E_NOMEM, "out of memory choosing the state file");
out:
    kit_buf_free(&dir);
    return rc;
}
