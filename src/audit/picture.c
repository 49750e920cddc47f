/* The audit's picture (audit.h): one column per record, originals in the
 * first row, each attack's reconstructions below, the row's name at its
 * left; images at twice their size so a digit is readable. */
#include <stdio.h>

#include "audit/audit.h"
#include "audit/png.h"
#include "util/util.h"

enum { SCALE = 2, GAP = 4, LABEL = 6 * 8 * 2 + 8 };

static void draw_image(cn_canvas *cv, uint32_t x0, uint32_t y0, const int32_t *v,
                       const cn_audit_data *d)
{
    for (uint32_t r = 0; r < d->h; r++)
        for (uint32_t c = 0; c < d->w; c++) {
            uint32_t j = r * d->w + c; /* first channel */
            int32_t span = d->hi[j] - d->lo[j];
            int32_t g = span ? (int32_t)((int64_t)(v[j] - d->lo[j]) * 255 / span) : 0;
            uint8_t ink = (uint8_t)(g < 0 ? 0 : g > 255 ? 255 : g);
            cn_canvas_rect(cv, x0 + c * SCALE, y0 + r * SCALE, SCALE, SCALE, ink);
        }
}

int cn_audit_picture(const char *path, const cn_audit_result *res, uint32_t max_cols)
{
    const cn_audit_data *d = &res->originals;
    if (d->h < 2 || !d->w || !d->n) return CRYPTONN_ERR_ARG;
    uint32_t cols = max_cols ? max_cols : 10;
    if (cols > d->n) cols = d->n;
    const int32_t *rows[1 + CN_AUDIT_ATTACKS];
    const char *names[1 + CN_AUDIT_ATTACKS];
    uint32_t nrows = 0;
    rows[nrows] = d->v, names[nrows++] = "original";
    for (int a = 0; a < CN_AUDIT_ATTACKS; a++)
        if (res->attack[a].ran) rows[nrows] = res->attack[a].recon, names[nrows++] = res->attack[a].name;
    const uint32_t cw = d->w * SCALE, ch = d->h * SCALE;
    cn_canvas cv;
    CN_TRY(cn_canvas_init(&cv, LABEL + cols * (cw + GAP) + GAP, nrows * (ch + GAP) + GAP, 255));
    for (uint32_t r = 0; r < nrows; r++) {
        uint32_t y = GAP + r * (ch + GAP);
        cn_canvas_text(&cv, 4, y + ch / 2 - 7, names[r], 2, 0);
        for (uint32_t c = 0; c < cols; c++)
            draw_image(&cv, LABEL + GAP + c * (cw + GAP), y, rows[r] + (size_t)c * d->dim, d);
    }
    int rc = cn_png_write_gray(path, cv.pix, cv.w, cv.h);
    cn_canvas_free(&cv);
    return rc;
}
