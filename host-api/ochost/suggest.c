/* suggest.c - nearest valid word; see suggest.h. The distance itself is
 * the kit's (plugin/nearest.h), shared with the plugin's suggestions. */
#include "host-api/ochost/suggest.h"

#include <stdint.h>
#include <string.h>

#include "plugin/nearest.h"

const char *och_nearest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, wl = strlen(word);
    for(size_t i = 0; i < n; i++) {
        size_t cl = strlen(candidates[i]);
        size_t d = kit_edit_distance(word, wl, candidates[i], cl);
        if(d < best_d && kit_close_enough(d, cl)) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}
