/* cmd_info.c - `ochost info`: what the manifest and the loaded plugin say. */
#include <stdio.h>
#include <string.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/config.h"

static void print_options(const char *options)
{
    const char *p = options ? options : "";
    int first = 1;
    printf("options:      ");
    while(*p) {
        size_t n = strcspn(p, ",");
        const char *name = p;
        size_t len = n;
        while(len && (name[0] == ' '))
            name++, len--;
        while(len && name[len - 1] == ' ')
            len--;
        int secret = len && name[len - 1] == '*';
        if(secret)
            len--;
        if(len)
            printf("%s%.*s%s", first ? "" : ", ", (int)len, name, secret ? " (secret)" : "");
        first = first && !len;
        p += n;
        if(*p == ',')
            p++;
    }
    printf("\n");
}

int och_cmd_info(struct och_session *s, const struct och_cli *args)
{
    (void)args;
    const struct oc_connector *c = s->conn;
    const struct oc_manifest *m = s->plugin->manifest;
    printf("name:         %s\n", c->name ? c->name : m->name);
    printf("version:      %s\n", c->version ? c->version : m->version);
    /* The ABI in use, and the manifest's: the oldest a host must speak. */
    printf("abi:          %u.%u (the plugin serves hosts of %s and newer)\n",
           OC_ABI_MAJOR(c->abi_version), OC_ABI_MINOR(c->abi_version), m->abi);
    printf("capabilities: %s\n", c->capabilities ? c->capabilities : m->capabilities);
    printf("scopes:       %s\n", m->scopes ? m->scopes : "");
    print_options(m->options);
    printf("library:      %s\n", m->library_path ? m->library_path : m->library);
    printf("manifest:     %s\n", m->path ? m->path : s->cli->manifest);
    return 0;
}
