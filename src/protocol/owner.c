#include "protocol/owner.h"

#include <string.h>

double cn_owner_score(const cn_owner_secret *s, uint8_t *pred, const uint8_t *truth, uint64_t n,
                      uint64_t *confusion)
{
    uint8_t inv[256];
    cn_owner_secret_inverse(s, inv);
    if (confusion) memset(confusion, 0, sizeof(uint64_t) * s->classes * s->classes);
    uint64_t hits = 0;
    for (uint64_t i = 0; i < n; i++) {
        pred[i] = pred[i] < s->classes ? inv[pred[i]] : pred[i];
        hits += pred[i] == truth[i];
        if (confusion && pred[i] < s->classes && truth[i] < s->classes)
            confusion[(size_t)truth[i] * s->classes + pred[i]]++;
    }
    return n ? (double)hits / (double)n : 0.0;
}
