/*
 * paths.h - where ochost finds its plugin manifest and keeps its state
 * when the command line does not say.
 *
 * Installed, ochost runs from any folder (cron starts jobs in $HOME), so
 * neither default may depend on the current directory alone. The install
 * layout is compiled in (BUILD/gen/ochost_build.h, written by the
 * makefile from PREFIX, BINDIR and LIBDIR).
 */
#ifndef OCH_PATHS_H
#define OCH_PATHS_H

#include "onecount/connector.h"

/* The version of ochost (the tree's plugin.manifest version). Static. */
const char *och_version(void);

/* Where a file of this ochost's install lives, seen from the running
 * binary: when it runs from ROOT/BINDIR (a live system, a DESTDIR staging
 * tree, a relocated tree), ROOT followed by installed_path (the absolute,
 * compiled-in path); otherwise (a build folder) build_name beside the
 * binary, or NULL when build_name is NULL. malloc'd (free it); NULL also
 * on oom or when /proc/self/exe cannot be read. */
char *och_self_path(const char *installed_path, const char *build_name);

/* The manifest path the install layout puts beside this build. Static. */
const char *och_installed_manifest(void);

/* Choose the plugin manifest: given (--manifest) when not NULL, else
 * $OCHOST_MANIFEST when set and not empty, else the manifest installed
 * with this binary (the compiled-in path under the folder this binary
 * runs from, so a DESTDIR or relocated tree finds its own), else the
 * compiled-in absolute path, else ./plugin.manifest (the source tree).
 * The installed and source-tree candidates count only when they exist
 * (any stat error other than "not there", e.g. EACCES, selects the
 * candidate so the loader reports the real cause). *path_out is
 * malloc'd (free it) and *source_out (static text) says where the choice
 * came from ("--manifest", "OCHOST_MANIFEST", "the installed layout",
 * "the current directory"). When nothing exists: OC_E_ABI, err names
 * every place tried and how to point ochost at a manifest; OC_E_NOMEM. */
oc_status och_find_manifest(const char *given, char **path_out, const char **source_out,
                            struct oc_error *err);

/* The default state file: $XDG_STATE_HOME/ochost/ochost.state when
 * XDG_STATE_HOME is an absolute path, else ~/.local/state/ochost/
 * ochost.state ($HOME, or the password database's home when HOME is
 * unset). With create_dir, every missing folder on the way is created
 * mode 0700 (existing ones are left as they are). *path_out is malloc'd
 * (free it). OC_E_CONFIG when no home is known or a folder cannot be
 * created (err names it and says to pass --state); OC_E_NOMEM. */
oc_status och_default_state_path(int create_dir, char **path_out, struct oc_error *err);

#endif
