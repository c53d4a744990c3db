/* nearest.c - nearest word by edit distance; see nearest.h. */
#include "plugin/nearest.h"

#include <ctype.h>
#include <stdint.h>

#define WORD_MAX 64

/* Optimal string alignment distance: Levenshtein plus adjacent swaps, the
 * commonest typo. Three rows suffice. */
size_t kit_edit_distance(const char *a, size_t alen, const char *b, size_t blen)
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

int kit_close_enough(size_t distance, size_t candidate_len)
{
    size_t limit = candidate_len / 3;
    return distance <= (limit ? limit : 1);
}
