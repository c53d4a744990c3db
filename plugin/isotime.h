/*
 * isotime.h - reading the times servers write as text: ISO 8601 with an
 * optional fraction and a Z or +hh:mm offset, or epoch milliseconds as
 * digits (some APIs send either for one field).
 *
 * Connector-neutral. The writer is kit_iso_ms (record.h).
 */
#ifndef KIT_ISOTIME_H
#define KIT_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

/* Parse s[0..len) (need not be NUL-terminated) into epoch ms: an ISO 8601
 * date-time with seconds ("2026-11-20T08:16:00.000Z", fraction and offset
 * optional only as shown: a Z or +hh:mm/-hh:mm is required) or up to 15
 * decimal digits of epoch ms. A fraction finer than ms is cut, not
 * rounded. 0, or -1 (ms untouched) for anything else, impossible dates
 * included (2026-02-30). */
int kit_iso_parse_ms(const char *s, size_t len, int64_t *ms);

#endif
