/* dispatch.c - see dispatch.h. */
#include "host-api/ochost/dispatch.h"

#include <stdio.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/status.h"

int och_cmd_run(struct och_session *s, const struct och_cli *args)
{
    switch(args->command) {
    case OCH_CMD_INFO: return och_cmd_info(s, args);
    case OCH_CMD_AUTHORIZE: return och_cmd_authorize(s, args);
    case OCH_CMD_PULL: return och_cmd_pull(s, args);
    case OCH_CMD_PUSH: return och_cmd_push(s, args);
    case OCH_CMD_LOOKUP: return och_cmd_lookup(s, args);
    case OCH_CMD_USAGE: return och_cmd_usage(s, args);
    default:
        fprintf(stderr, "ochost: '%s' cannot run here\n", och_command_name(args->command));
        return OCH_EXIT_USAGE;
    }
}
