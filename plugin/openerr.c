/* openerr.c - see openerr.h. */
#include "plugin/openerr.h"

#include <errno.h>

const char *kit_open_advice(int errnum)
{
    switch(errnum) {
    case ENOENT:
        return "no such file: check the path";
    case EACCES:
    case EPERM:
        return "permission denied: the user running this cannot open it (or a folder on its "
               "path); fix its mode or owner (chmod, chown) or name another file";
    case EISDIR:
        return "it is a directory: name a file in it instead";
    case ENOTDIR:
        return "a part of the path is a file, not a directory: check the path";
    case ELOOP:
        return "too many symbolic links (a loop?): check the links on the path";
    case ENAMETOOLONG:
        return "the path is too long: shorten it";
    case EMFILE:
    case ENFILE:
        return "too many open files: raise the limit (ulimit -n)";
    case ENOMEM:
        return "out of memory";
    case EROFS:
        return "the file system is read-only: name a file on a writable one";
    case ENOSPC:
    case EDQUOT:
        return "the disk (or your quota) is full: free space";
    case EIO:
        return "an I/O error from the device: check the disk";
    default:
        return "check the path and its permissions";
    }
}
