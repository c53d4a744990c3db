/* suggest.c - nearest valid word; see suggest.h. */
#include "host-api/ochost/suggest.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#define WORD_MAX 64

/* Optimal string alignment distance: Levenshtein plus adjacent swaps, the
 * commonest typo ("psuh"). Three rows suffice. */
size_t och_edit_distance(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t rows[3][WORD_MAX + 1];
    if(alen > WORD_MAX || blen > WORD_MAX)
        return SIZE_MAX;
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for(size_t j = 0; j <= blen; j++)
        prev[j] = j;
    for(size_t i = 1; i <= alen; i++) {
        cur[0] = i;
        for(size_t j = 1; j <= blen; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + (ca != cb);
            if(prev[j] + 1 < best)
                best = prev[j] + 1;
            if(cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if(i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
               tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[blen];
}

int och_close_enough(size_t distance, size_t candidate_len)
{
    size_t limit = candidate_len / 3;
    return distance <= (limit ? limit : 1);
}

const char *och_nearest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, wl = strlen(word);
    for(size_t i = 0; i < n; i++) {
        size_t cl = strlen(candidates[i]);
        size_t d = och_edit_distance(word, wl, candidates[i], cl);
        if(d < best_d && och_close_enough(d, cl)) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}
