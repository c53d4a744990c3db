/*
 * email.h - email address syntax check, shared by lookup and push.
 *
 * The rule is the practical subset of RFC 5321/5322 that mail systems and
 * CRMs accept: dot-atom local part (no quoted strings, no comments), a
 * domain of at least two LDH labels, no IP literals, UTF-8 (SMTPUTF8)
 * allowed in both parts. HubSpot's own server-side rule is not published
 * (UNCONFIRMED), so this rejects only what cannot be a deliverable address;
 * anything it lets through is left for HubSpot to judge.
 */
#ifndef HS_EMAIL_H
#define HS_EMAIL_H

#include <stddef.h>

/* NULL when s (NUL-terminated, no surrounding whitespace expected) is a
 * syntactically valid address; else a short static reason ("has no @",
 * ...), fit to follow "email '...' " in a message. Never allocates; the
 * string is static and lives forever. */
const char *hs_email_problem(const char *s);

/* Nonzero when s is a syntactically valid address (hs_email_problem(s) is
 * NULL). s may be NULL (invalid). */
int hs_email_valid(const char *s);

#endif
