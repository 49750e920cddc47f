/* Per-record fidelity of an attack's reconstructions (audit.h). PSNR pools
 * the squared error of all records (10·log10(peak² / MSE)), so one exact
 * record cannot make the mean infinite; it is INFINITY only when every
 * record is exact. */
#include <math.h>
#include <stdlib.h>

#include "audit/audit.h"

void cn_audit_score(const int32_t *orig, const int32_t *rec, uint32_t n, uint32_t dim,
                    int32_t peak, uint32_t close_tol, cn_audit_attack *a)
{
    uint64_t exact = 0, close = 0;
    double abs_sum = 0, sq_sum = 0;
    for (uint32_t s = 0; s < n; s++) {
        const int32_t *o = orig + (size_t)s * dim, *r = rec + (size_t)s * dim;
        uint32_t worst = 0;
        for (uint32_t j = 0; j < dim; j++) {
            int64_t d = (int64_t)r[j] - o[j];
            uint64_t ad = (uint64_t)(d < 0 ? -d : d);
            if (ad > worst) worst = ad > UINT32_MAX ? UINT32_MAX : (uint32_t)ad;
            abs_sum += (double)ad;
            sq_sum += (double)d * (double)d;
        }
        exact += worst == 0;
        close += worst <= close_tol;
    }
    double cells = (double)n * dim;
    a->exact_fraction = n ? (double)exact / n : 0;
    a->close_fraction = n ? (double)close / n : 0;
    a->mean_abs_error = cells ? abs_sum / cells : 0;
    double mse = cells ? sq_sum / cells : 0;
    a->psnr_db = mse > 0 ? 10.0 * log10((double)peak * peak / mse) : INFINITY;
}
