/*
 * version.h - `ochost --version`: what a bug report needs to name the
 * software that ran.
 */
#ifndef OCH_VERSION_H
#define OCH_VERSION_H

#include <stdio.h>

#include "host-api/ochost/cli.h"

/* Print ochost's version, the plugin's name, version and negotiated ABI
 * (the manifest found as och_find_manifest does from cli->manifest, the
 * plugin loaded the way every command loads it) and libcurl's version to
 * f. A plugin that cannot be found or loaded is one line saying so and
 * why; the other lines are printed all the same. Returns 0 (the versions
 * that could be known were printed), or 7 when f cannot be written. cli
 * is borrowed. */
int och_print_version(FILE *f, const struct och_cli *cli);

#endif
