/* redact.c - see redact.h. */
#include "plugin/redact.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECRETS 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *secrets[MAX_SECRETS];
static int refs[MAX_SECRETS];

void kit_redact_register(const char *secret)
{
    if(!secret || !*secret)
        return;
    pthread_mutex_lock(&lock);
    int free_slot = -1;
    for(int i = 0; i < MAX_SECRETS; i++) {
        if(secrets[i] && !strcmp(secrets[i], secret)) {
            refs[i]++;
            goto out;
        }
        if(!secrets[i] && free_slot < 0)
            free_slot = i;
    }
    /* Table full: the shape rule below still masks HubSpot tokens. */
    if(free_slot >= 0 && (secrets[free_slot] = strdup(secret)))
        refs[free_slot] = 1;
out:
    pthread_mutex_unlock(&lock);
}

void kit_redact_forget(const char *secret)
{
    if(!secret)
        return;
    pthread_mutex_lock(&lock);
    for(int i = 0; i < MAX_SECRETS; i++) {
        if(secrets[i] && !strcmp(secrets[i], secret)) {
            if(--refs[i] == 0) {
                free(secrets[i]);
                secrets[i] = NULL;
            }
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

/* Replace s[at, at+n) by the mask, shifting the tail left. */
static void mask(char *s, size_t at, size_t n)
{
    const char *m = n >= sizeof KIT_REDACTED - 1 ? KIT_REDACTED : "***";
    size_t mlen = strlen(m);
    if(mlen > n)
        mlen = n;
    memcpy(s + at, m, mlen);
    memmove(s + at + mlen, s + at + n, strlen(s + at + n) + 1);
}

/* Length of a pat-<letters><digits>-<hex and dashes> token at p, or 0. The
 * rule is deliberately looser than HubSpot's format so that a truncated or
 * mistyped token is masked too. */
static size_t token_shape(const char *p)
{
    if(strncmp(p, "pat-", 4))
        return 0;
    size_t i = 4;
    while(isalpha((unsigned char)p[i]))
        i++;
    while(isdigit((unsigned char)p[i]))
        i++;
    if(i == 4 || p[i] != '-')
        return 0;
    size_t start = ++i;
    while(isxdigit((unsigned char)p[i]) || p[i] == '-')
        i++;
    return i - start >= 8 ? i : 0;
}

static void redact(char *s, int cut);

void kit_redact_inplace(char *s) { redact(s, 1); }

void kit_redact_value(char *s) { redact(s, 0); }

static void redact(char *s, int cut)
{
    if(!s)
        return;
    pthread_mutex_lock(&lock);
    for(int i = 0; i < MAX_SECRETS; i++) {
        if(!secrets[i])
            continue;
        size_t n = strlen(secrets[i]);
        for(char *hit = s; (hit = strstr(hit, secrets[i]));) {
            mask(s, (size_t)(hit - s), n);
            hit += n < strlen(KIT_REDACTED) ? (n < 3 ? n : 3) : strlen(KIT_REDACTED);
        }
    }
    pthread_mutex_unlock(&lock);
    char *last = NULL;
    for(char *p = s; (p = strstr(p, "pat-"));) {
        size_t n = token_shape(p);
        if(n) {
            mask(s, (size_t)(p - s), n);
            p += strlen(KIT_REDACTED) < n ? strlen(KIT_REDACTED) : n;
        } else {
            last = p;
            p += 4;
        }
    }
    /* A message cut to fit its buffer can end inside a token, too short for
     * the shape rule: mask a trailing "pat-..." fragment whatever its length. */
    if(cut && last) {
        size_t i = 4;
        while(isalnum((unsigned char)last[i]) || last[i] == '-')
            i++;
        if(!last[i])
            mask(s, (size_t)(last - s), i);
    }
}
