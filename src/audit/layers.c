/* What-if views (audit.h): the keys a strict-mode authority would issue for
 * a first layer it draws at random (secure/firstlayer.h), so an owner can
 * audit a proposed layer before agreeing to it, and docs/PRIVACY.md can
 * chart the privacy-utility frontier. */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "secure/firstlayer.h"
#include "util/util.h"

int cn_audit_layer_keys(const char *spec, uint32_t in_c, uint32_t in_h, uint32_t in_w,
                        unsigned bits, uint64_t seed, cn_feip_keyreq *r, char *msg, size_t msg_len)
{
    memset(r, 0, sizeof *r);
    cn_fl_spec s;
    CN_TRY(cn_fl_spec_parse(spec, in_c, in_h, in_w, &s, msg, msg_len));
    int32_t *w = cn_malloc_array(cn_fl_weights(&s), sizeof *w);
    if (!w) return CRYPTONN_ERR_NOMEM;
    uint8_t key[32] = {0};
    cn_store_u64(key, seed);
    (void)cn_fl_draw(&s, bits, key, w);
    int rc = cn_fl_keys(&s, w, r);
    free(w);
    return rc;
}
