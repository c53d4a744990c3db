/*
 * status.h - how failures become ochost's exit codes and messages.
 *
 * README.md's exit-code table fixes the exit codes; the one table mapping the
 * plugin's oc_status onto them lives in status.c, so a new status value
 * needs one edit there and nowhere else.
 *
 * Return convention in ochost: a function that can fail for a reason the
 * user must read returns oc_status (OC_OK == 0) and fills the caller's
 * struct oc_error with kit_fail (plugin/error.h); a command (commands.h),
 * the session and main return the exit code, the error already printed;
 * one whose only failures are out of memory or a system call returns 0 or
 * -1 (errno set where a call failed); a predicate returns nonzero for yes.
 */
#ifndef OCH_STATUS_H
#define OCH_STATUS_H

#include "onecount/connector.h"

enum och_exit {
    OCH_EXIT_OK = 0,
    OCH_EXIT_USAGE = 1,     /* bad command line                          */
    OCH_EXIT_CONFIG = 2,    /* token, list, config or state file         */
    OCH_EXIT_NOT_FOUND = 3, /* some lookup found nothing                 */
    OCH_EXIT_AUTH = 4,      /* bad token or missing scopes               */
    OCH_EXIT_BUDGET = 5,    /* daily limit or configured budget reached  */
    OCH_EXIT_PARTIAL = 6,   /* some records rejected                     */
    OCH_EXIT_TRANSIENT = 7, /* still failing after retries; rerun resumes */
    OCH_EXIT_PLUGIN = 8     /* plugin load or ABI error                  */
};

/* The exit code for a status returned by the plugin or by ochost itself.
 * Unknown values count as a plugin error (8): a plugin that invents
 * statuses does not speak our ABI. */
int och_exit_code(oc_status status);

/* Reset err to "no error" with struct_size set, ready to hand to a plugin
 * or to ochost's own code, which fills it with the kit's kit_fail
 * (plugin/error.h: the one error-filling rule, redaction included). */
void och_error_init(struct oc_error *err);

/* Print "ochost: <what>: <message>" (plus the correlation id when the
 * plugin gave one) on stderr, and return och_exit_code(status). A message
 * left empty by the plugin is replaced by the status name. */
int och_report(const char *what, oc_status status, const struct oc_error *err);

#endif
