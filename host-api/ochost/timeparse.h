/*
 * timeparse.h - points in time as users and cassettes write them.
 */
#ifndef OCH_TIMEPARSE_H
#define OCH_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parse s as epoch milliseconds (digits only) or ISO 8601:
 * YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM[:SS[.fff]] followed by 'Z'
 * or an offset (+HH:MM, +HHMM, +HH). A date-time without a zone is
 * refused: guessing the zone would shift a pull window by hours.
 * Epoch values below 10^11 are refused too: they are almost always
 * seconds given where milliseconds are expected.
 * Returns 0 and sets *out_ms, or -1 with a reason in why (whysize bytes). */
int och_parse_time(const char *s, int64_t *out_ms, char *why, size_t whysize);

/* Format ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 25 bytes). */
void och_format_time(int64_t ms, char *out, size_t outsize);

#endif
