// Why the Java Q8_0 decode kernel stops short of the memory roofline: the same kernel in C, streamed from DRAM on
// two threads, with and without software prefetch, next to a plain read of the same buffer, in alternating rounds.
// Java has no prefetch instruction (Unsafe.prefetch* went in JDK 9); a demand load a few lines ahead ("touch") is
// the nearest thing it can express, and is measured too.
//
//   gcc -O2 -mavx512f -mavx512bw -mf16c -pthread bench/c/q8_prefetch.c -o /tmp/q8_prefetch
//   /tmp/q8_prefetch [MiB=1024] [huge=1] [rounds=4]
//
// huge=1 puts the buffer in 2 MiB transparent huge pages (as `jllm bench --no-mmap` holds weights), 0 in 4 KiB pages.
// The matrix is 2048 columns wide (2176-byte rows, a 1B Llama's most common shape); each thread reads four rows a
// quarter of its range apart, as QuantDots.q8_0Rows4 does.
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

enum { COLS = 2048, THREADS = 2, STREAMS = 4, LEAD = 1024 };
enum mode { READ, PLAIN, TOUCH, PREFETCH, MODES };
static const char *NAMES[MODES] = {"plain read (2 streams/thread)", "Q8_0 kernel", "Q8_0 kernel + touch loads",
                                   "Q8_0 kernel + software prefetch"};
static uint8_t *W;
static size_t ROWS;
static float X[COLS], *Y;
static enum mode MODE;
static volatile float SINK;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static inline __m512 block(const uint8_t *o, __m512 x0, __m512 x1, __m512 acc) {
    __m512 q0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (o + 2))));
    __m512 q1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (o + 18))));
    __m512 t = _mm512_fmadd_ps(q1, x1, _mm512_mul_ps(q0, x0));
    return _mm512_fmadd_ps(t, _mm512_set1_ps(_cvtsh_ss(*(const uint16_t *) o)), acc);
}

static void *run(void *arg) {
    long id = (long) arg;
    size_t rb = COLS / 32 * 34, per = ROWS / THREADS, r0 = id * per, part = per / STREAMS;
    if (MODE == READ) {  // two interleaved sequential streams over the thread's share
        const __m512i *a = (const __m512i *) (W + r0 * rb), *b = (const __m512i *) (W + (r0 + per / 2) * rb);
        size_t n = per / 2 * rb / 64;
        __m512i s = _mm512_setzero_si512();
        for (size_t i = 0; i < n; i++) s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_load_si512(a + i), _mm512_load_si512(b + i)));
        SINK += (float) _mm512_reduce_add_epi32(s);
        return 0;
    }
    uint8_t touched = 0;
    for (size_t i = 0; i < part; i++) {
        const uint8_t *rows[STREAMS];
        __m512 acc[STREAMS];
        for (int k = 0; k < STREAMS; k++) rows[k] = W + (r0 + i + k * part) * rb, acc[k] = _mm512_setzero_ps();
        for (int b = 0; b < COLS / 32; b++) {
            __m512 x0 = _mm512_loadu_ps(X + 32 * b), x1 = _mm512_loadu_ps(X + 32 * b + 16);
            for (int k = 0; k < STREAMS; k++) {
                const uint8_t *p = rows[k] + 34 * b;
                if (MODE == PREFETCH) _mm_prefetch((const char *) p + LEAD, _MM_HINT_T0);
                if (MODE == TOUCH) touched += *(const volatile uint8_t *) (p + LEAD);
                acc[k] = block(p, x0, x1, acc[k]);
            }
        }
        for (int k = 0; k < STREAMS; k++) Y[r0 + i + k * part] = _mm512_reduce_add_ps(acc[k]);
    }
    SINK += touched;
    return 0;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? (size_t) atol(argv[1]) : 1024;
    int huge = argc > 2 ? atoi(argv[2]) : 1, rounds = argc > 3 ? atoi(argv[3]) : 4;
    size_t rb = COLS / 32 * 34, align = 2 << 20;
    ROWS = (mib << 20) / rb;
    ROWS -= ROWS % (2 * THREADS * STREAMS);
    size_t bytes = ROWS * rb;
    uint8_t *raw = mmap(0, bytes + align + LEAD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) { perror("mmap"); return 1; }
    W = (uint8_t *) (((uintptr_t) raw + align - 1) & ~(uintptr_t) (align - 1));
    madvise(W, bytes + LEAD, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    for (size_t i = 0; i < bytes + LEAD; i++) W[i] = (uint8_t) (i * 7);
    for (size_t r = 0; r < ROWS; r++) for (int b = 0; b < COLS / 32; b++) *(uint16_t *) (W + r * rb + 34 * b) = 0x2000;
    for (int i = 0; i < COLS; i++) X[i] = i * 0.001f;
    Y = aligned_alloc(64, ROWS * sizeof(float));
    double best[MODES] = {0};
    for (int r = 0; r < rounds; r++) {
        for (int m = 0; m < MODES; m++) {
            MODE = (enum mode) m;
            pthread_t th[THREADS];
            double t0 = now();
            for (long i = 0; i < THREADS; i++) pthread_create(&th[i], 0, run, (void *) i);
            for (int i = 0; i < THREADS; i++) pthread_join(th[i], 0);
            double gbs = bytes / (now() - t0) / 1e9;
            if (gbs > best[m]) best[m] = gbs;
        }
    }
    printf("%zu MiB in %s pages, %d threads, best of %d rounds:\n", mib, huge ? "2 MiB" : "4 KiB", THREADS, rounds);
    for (int m = 0; m < MODES; m++) printf("  %-34s %5.1f GB/s  %3.0f%% of the plain read\n", NAMES[m], best[m], 100 * best[m] / best[READ]);
    return SINK == 12345.f;
}
