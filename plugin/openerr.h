/*
 * openerr.h - what to tell a user about a file that could not be opened
 * or read, by errno: a missing file, a permission problem and a directory
 * need different fixes, and "check the path" fits only the first.
 * Connector-neutral; the loader and ochost word every open failure
 * through it.
 */
#ifndef KIT_OPENERR_H
#define KIT_OPENERR_H

/* A static sentence fragment (lower case, no final stop) naming the
 * problem errnum means for a file and what to do about it, e.g. for
 * EACCES "permission denied: the user running this cannot read it; fix
 * its mode or owner (chmod, chown) or name another file". Never NULL. */
const char *kit_open_advice(int errnum);

#endif
