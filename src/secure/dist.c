/* The ranks of an mpirun job (dist.h): Open MPI when the build has it, one
 * rank otherwise. One thread at a time calls MPI (MPI_THREAD_SERIALIZED):
 * the OpenMP threads of a rank decrypt and the thread that runs the job
 * moves the results. That thread is the main thread in `train --secure`,
 * but on rank 0 of `server serve` it is the service's job thread (the
 * main thread waits for signals, prediction requests arrive on HTTP
 * threads), so FUNNELED (main thread only) would not do; the service
 * serializes those threads with a lock of its own (server_svc.h). */
#include "secure/dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "util/util.h"

#ifdef CRYPTONN_HAVE_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1, g_started = 0;
static uint64_t g_received = 0, g_wait_cpu = 0;
#ifdef CRYPTONN_HAVE_MPI
static int *g_counts, *g_displs; /* per rank, for the gathers: sized once */
#endif

int cn_dist_available(void)
{
#ifdef CRYPTONN_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

int cn_dist_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL;
}

int cn_dist_rank(void) { return g_rank; }
int cn_dist_size(void) { return g_size; }
uint64_t cn_dist_bytes_received(void) { return g_received; }
uint64_t cn_dist_wait_cpu_ns(void) { return g_wait_cpu; }

void cn_dist_range(uint64_t n, uint32_t lead, int r, int size, uint64_t *lo, uint64_t *hi)
{
    const uint64_t P = (uint64_t)size, R = (uint64_t)r;
    if (lead == 0 || P == 1) {
        *lo = n * R / P;
        *hi = n * (R + 1) / P;
        return;
    }
    uint64_t n0 = (n * lead) >> 16;
    if (n0 > n) n0 = n;
    *lo = r == 0 ? 0 : n0 + (n - n0) * (R - 1) / (P - 1);
    *hi = r == 0 ? n0 : n0 + (n - n0) * R / (P - 1);
}

void cn_dist_share(uint64_t n, uint64_t *lo, uint64_t *hi)
{
    cn_dist_range(n, 0, g_rank, g_size, lo, hi);
}

#ifdef CRYPTONN_HAVE_MPI

int cn_dist_start(char *msg, size_t msg_len)
{
    if (g_started) return CRYPTONN_OK;
    int provided = 0, size = 1, rank = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
        if (msg_len) snprintf(msg, msg_len, "MPI did not start");
        return CRYPTONN_ERR_NET;
    }
    if (provided < MPI_THREAD_SERIALIZED) {
        if (msg_len)
            snprintf(msg, msg_len, "this MPI library cannot be called from several threads in "
                                   "turn (MPI_THREAD_SERIALIZED)");
        MPI_Finalize();
        return CRYPTONN_ERR_NET;
    }
    /* failures come back as codes, reported with the rank that saw them */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    g_counts = calloc((size_t)size, sizeof *g_counts);
    g_displs = calloc((size_t)size, sizeof *g_displs);
    if (!g_counts || !g_displs) {
        if (msg_len) snprintf(msg, msg_len, "out of memory");
        MPI_Abort(MPI_COMM_WORLD, 1);
        return CRYPTONN_ERR_NOMEM;
    }
    g_size = size;
    g_rank = rank;
    g_started = 1;
    return CRYPTONN_OK;
}

void cn_dist_stop(void)
{
    if (!g_started) return;
    MPI_Finalize();
    free(g_counts);
    free(g_displs);
    g_counts = g_displs = NULL;
    g_started = 0;
    g_rank = 0;
    g_size = 1;
}

void cn_dist_abort(int code)
{
    if (g_started) MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

/* CPU time of the calling thread (the one that calls MPI): a rank
 * that waits inside MPI for the others spins or yields on it. */
static uint64_t thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int mpi_failed(const char *what, int err)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(err, s, &len);
    fprintf(stderr, "cryptonn (rank %d of %d): %s failed: %s\n", g_rank, g_size, what, s);
    return CRYPTONN_ERR_NET;
}

int cn_dist_bcast(void *buf, size_t len)
{
    if (g_size == 1) return CRYPTONN_OK;
    const uint64_t c0 = thread_cpu_ns();
    /* MPI counts are ints: large buffers go in pieces */
    for (size_t off = 0; off < len;) {
        size_t part = len - off < (size_t)INT_MAX ? len - off : (size_t)INT_MAX;
        int err = MPI_Bcast((uint8_t *)buf + off, (int)part, MPI_BYTE, 0, MPI_COMM_WORLD);
        if (err != MPI_SUCCESS) return mpi_failed("broadcast", err);
        off += part;
    }
    g_wait_cpu += thread_cpu_ns() - c0;
    if (g_rank != 0) g_received += len;
    return CRYPTONN_OK;
}

int cn_dist_gather_rows(void *buf, size_t row_bytes, uint64_t n)
{
    return cn_dist_gather_lead(buf, row_bytes, n, 0);
}

int cn_dist_gather_lead(void *buf, size_t row_bytes, uint64_t n, uint32_t lead)
{
    if (g_size == 1) return CRYPTONN_OK;
    if (row_bytes && n > (uint64_t)INT_MAX / row_bytes) return CRYPTONN_ERR_TOO_LARGE;
    for (int r = 0; r < g_size; r++) {
        uint64_t lo, hi;
        cn_dist_range(n, lead, r, g_size, &lo, &hi);
        g_displs[r] = (int)(lo * row_bytes);
        g_counts[r] = (int)((hi - lo) * row_bytes);
    }
    const uint64_t c0 = thread_cpu_ns();
    int err = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, g_counts, g_displs, MPI_BYTE,
                             MPI_COMM_WORLD);
    g_wait_cpu += thread_cpu_ns() - c0;
    if (err != MPI_SUCCESS) return mpi_failed("gather", err);
    g_received += n * row_bytes - (uint64_t)g_counts[g_rank];
    return CRYPTONN_OK;
}

int cn_dist_agree(int rc)
{
    if (g_size == 1) return rc;
    int all = rc;
    const uint64_t c0 = thread_cpu_ns();
    int err = MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    g_wait_cpu += thread_cpu_ns() - c0;
    if (err != MPI_SUCCESS) return mpi_failed("status exchange", err);
    return all;
}

uint64_t cn_dist_sum_u64(uint64_t v)
{
    if (g_size == 1) return v;
    unsigned long long in = v, out = v;
    if (MPI_Allreduce(&in, &out, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
        return v;
    return (uint64_t)out;
}

#else /* one rank: nothing to move */

int cn_dist_start(char *msg, size_t msg_len)
{
    if (msg_len)
        snprintf(msg, msg_len, "built without MPI (install libopenmpi-dev and rebuild for mpirun)");
    return CRYPTONN_ERR_ARG;
}

void cn_dist_stop(void) {}
void cn_dist_abort(int code) { exit(code); }
int cn_dist_bcast(void *buf, size_t len) { (void)buf; (void)len; return CRYPTONN_OK; }
int cn_dist_gather_rows(void *buf, size_t row_bytes, uint64_t n)
{
    return cn_dist_gather_lead(buf, row_bytes, n, 0);
}
int cn_dist_gather_lead(void *buf, size_t row_bytes, uint64_t n, uint32_t lead)
{
    (void)buf, (void)row_bytes, (void)n, (void)lead;
    return CRYPTONN_OK;
}
int cn_dist_agree(int rc) { return rc; }
uint64_t cn_dist_sum_u64(uint64_t v) { return v; }

#endif
