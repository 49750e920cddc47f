/* png: 8-bit grayscale PNG files through libpng, written atomically
 * (util's cn_file_write_atomic), for the audit's pictures and plots. */
#ifndef CRYPTONN_AUDIT_PNG_H
#define CRYPTONN_AUDIT_PNG_H

#include <stddef.h>
#include <stdint.h>

/* pix: h rows of w bytes. Returns CRYPTONN_OK, CRYPTONN_ERR_NOMEM or the
 * write's status; CRYPTONN_ERR_INTERNAL if libpng fails. */
int cn_png_write_gray(const char *path, const uint8_t *pix, uint32_t w, uint32_t h);

/* A canvas to draw on: white background, black ink. */
typedef struct {
    uint32_t w, h;
    uint8_t *pix;
} cn_canvas;
int cn_canvas_init(cn_canvas *c, uint32_t w, uint32_t h, uint8_t background);
void cn_canvas_free(cn_canvas *c);
/* Text in a 5×7 font (lower-case letters, digits, . - % = / : space;
 * other characters draw as blanks), each font pixel scale × scale, top-left
 * at (x, y); clipped to the canvas. Returns the width drawn. */
uint32_t cn_canvas_text(cn_canvas *c, uint32_t x, uint32_t y, const char *s, uint32_t scale,
                        uint8_t ink);
void cn_canvas_rect(cn_canvas *c, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint8_t ink);
static inline void cn_canvas_put(cn_canvas *c, int64_t x, int64_t y, uint8_t ink)
{
    if (x >= 0 && y >= 0 && x < c->w && y < c->h) c->pix[(size_t)y * c->w + (size_t)x] = ink;
}

#endif
