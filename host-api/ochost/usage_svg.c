/* usage_svg.c - see usage_svg.h. */
#include "host-api/ochost/usage_svg.h"

#include <stdlib.h>
#include <string.h>

#define W 960
#define H 420
#define LEFT 70
#define RIGHT 180 /* the legend */
#define TOP 40
#define BOTTOM 60

static const char *const colours[OCH_USAGE_SVG_COLOURS + 1] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#bab0ac", "#d3d3d3"};

/* Text for XML character data and attribute values. */
static void esc(FILE *f, const char *s)
{
    for(; *s; s++) {
        switch(*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* control characters are not XML 1.0 */
            if((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
                fputc(*s, f);
        }
    }
}

/* The endpoints with the most calls over the chosen rows, in order: the
 * series that get colours. */
static size_t series(const struct och_usage_data *d, size_t first, const char **names, int64_t *totals)
{
    size_t n = 0;
    const char *all[256];
    int64_t sum[256];
    size_t na = 0;
    for(size_t i = first; i < d->nrows; i++)
        for(size_t k = 0; k < d->rows[i].nep; k++) {
            size_t a = 0;
            while(a < na && strcmp(all[a], d->rows[i].ep[k].name))
                a++;
            if(a == na) {
                if(na == 256)
                    continue;
                all[na] = d->rows[i].ep[k].name;
                sum[na++] = 0;
            }
            sum[a] += d->rows[i].ep[k].calls;
        }
    for(; n < OCH_USAGE_SVG_COLOURS && n < na; n++) {
        size_t best = n;
        for(size_t a = n + 1; a < na; a++)
            if(sum[a] > sum[best] || (sum[a] == sum[best] && strcmp(all[a], all[best]) < 0))
                best = a;
        const char *t = all[n];
        int64_t ts = sum[n];
        all[n] = all[best], sum[n] = sum[best];
        all[best] = t, sum[best] = ts;
        names[n] = all[n];
        totals[n] = sum[n];
    }
    return n;
}

static double y_of(int64_t v, int64_t ymax) { return TOP + (H - TOP - BOTTOM) * (1.0 - (double)v / (double)ymax); }

static void hline(FILE *f, int64_t v, int64_t ymax, const char *colour, const char *cls, const char *label)
{
    double y = y_of(v, ymax);
    fprintf(f,
            "<line class=\"%s\" data-value=\"%lld\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n",
            cls, (long long)v, LEFT, y, W - RIGHT, y, colour);
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" fill=\"%s\">%s %lld</text>\n", W - RIGHT + 4, y + 4,
            colour, label, (long long)v);
}

int och_usage_svg(FILE *f, const struct och_usage_data *d, int days)
{
    size_t first = och_usage_first(d, days);
    size_t nrows = d->nrows - first;
    const char *names[OCH_USAGE_SVG_COLOURS];
    int64_t totals[OCH_USAGE_SVG_COLOURS];
    size_t ns = series(d, first, names, totals);
    int64_t maxcalls = 0, budget = 0, limit = -1;
    for(size_t i = first; i < d->nrows; i++) {
        if(d->rows[i].calls > maxcalls)
            maxcalls = d->rows[i].calls;
        if(d->rows[i].budget > 0)
            budget = d->rows[i].budget;
        if(d->rows[i].daily_limit > 0)
            limit = d->rows[i].daily_limit;
    }
    int64_t ymax = maxcalls > budget ? maxcalls : budget;
    /* A limit within 4 times the busiest day is drawn; one further away
     * would flatten every bar to nothing, so it is named instead. */
    int draw_limit = limit > 0 && limit <= 4 * (ymax ? ymax : 1);
    if(draw_limit && limit > ymax)
        ymax = limit;
    ymax = ymax + ymax / 10 + 1;

    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
            W, H, W, H);
    fprintf(f, "<title>HubSpot API calls per day");
    if(nrows)
        fprintf(f, ", %s to %s", d->rows[first].day, d->rows[d->nrows - 1].day);
    fprintf(f, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, H);
    fprintf(f, "<text x=\"%d\" y=\"22\" font-size=\"15\">API calls per day by endpoint", LEFT);
    if(d->basis[0]) {
        fputs(" (days: ", f);
        esc(f, d->basis);
        fputc(')', f);
    }
    fputs("</text>\n", f);
    /* axes and a scale at 0, half and the top */
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n", LEFT, H - BOTTOM, W - RIGHT,
            H - BOTTOM);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n", LEFT, TOP, LEFT, H - BOTTOM);
    for(int k = 0; k <= 2; k++) {
        int64_t v = ymax * k / 2;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%lld</text>\n", LEFT - 4,
                y_of(v, ymax) + 3, (long long)v);
    }
    double slot = nrows ? (double)(W - LEFT - RIGHT) / (double)nrows : 0, bw = slot * 0.8;
    for(size_t i = first; i < d->nrows; i++) {
        const struct och_usage_row *r = &d->rows[i];
        double x = LEFT + slot * (double)(i - first) + slot * 0.1;
        int64_t base = 0;
        fprintf(f, "<g class=\"day\" data-day=\"%s\" data-calls=\"%lld\" data-429s=\"%lld\">\n", r->day,
                (long long)r->calls, (long long)r->n429);
        /* each series in legend order, then the rest as other */
        for(size_t s = 0; s <= ns; s++) {
            int64_t v = 0;
            for(size_t k = 0; k < r->nep; k++) {
                size_t m = 0;
                while(m < ns && strcmp(names[m], r->ep[k].name))
                    m++;
                if(m == s)
                    v += r->ep[k].calls;
            }
            if(!v)
                continue;
            double y1 = y_of(base + v, ymax), y0 = y_of(base, ymax);
            fprintf(f,
                    "<rect class=\"bar\" data-day=\"%s\" data-endpoint=\"", r->day);
            esc(f, s < ns ? names[s] : "other");
            fprintf(f, "\" data-calls=\"%lld\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                       "<title>%s ",
                    (long long)v, x, y1, bw, y0 - y1, colours[s < ns ? s : OCH_USAGE_SVG_COLOURS], r->day);
            esc(f, s < ns ? names[s] : "other");
            fprintf(f, ": %lld calls</title></rect>\n", (long long)v);
            base += v;
        }
        if(r->n429 > 0) {
            double ty = y_of(r->calls, ymax) - 6, cx = x + bw / 2;
            fprintf(f,
                    "<path class=\"mark429\" data-day=\"%s\" data-429s=\"%lld\" d=\"M%.1f %.1f L%.1f %.1f L%.1f "
                    "%.1f Z\" fill=\"#d62728\"><title>%s: %lld responses 429 (rate limited)</title></path>\n",
                    r->day, (long long)r->n429, cx, ty + 6, cx - 5, ty - 3, cx + 5, ty - 3, r->day,
                    (long long)r->n429);
        }
        /* a date under every few bars, so 90 days stay legible */
        size_t every = nrows > 31 ? 7 : nrows > 10 ? 3 : 1;
        if((i - first) % every == 0)
            fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
                    x + bw / 2, H - BOTTOM + 14, r->day + 5);
        fputs("</g>\n", f);
    }
    if(budget > 0)
        hline(f, budget, ymax, "#2ca02c", "budget", "daily_budget");
    if(draw_limit)
        hline(f, limit, ymax, "#d62728", "daily-limit", "daily limit");
    else if(limit > 0)
        fprintf(f, "<text class=\"daily-limit-note\" data-value=\"%lld\" x=\"%d\" y=\"%d\" font-size=\"11\" "
                   "fill=\"#d62728\">HubSpot's daily limit, %lld, is far above these bars</text>\n",
                (long long)limit, LEFT + 4, TOP - 4, (long long)limit);
    /* legend */
    for(size_t s = 0; s <= ns; s++) {
        if(s == ns && !nrows)
            break;
        int y = TOP + 16 * (int)s;
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", W - RIGHT + 4, y + 40,
                colours[s < ns ? s : OCH_USAGE_SVG_COLOURS]);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", W - RIGHT + 18, y + 49);
        esc(f, s < ns ? names[s] : "other");
        fputs("</text>\n", f);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#555555\">red triangle: a day with 429 "
               "responses</text>\n",
            LEFT, H - 12);
    fputs("</svg>\n", f);
    fflush(f);
    return ferror(f) ? -1 : 0;
}
