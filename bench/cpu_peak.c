/* The CPU's own multiply-add peaks, per core, on AVX2: f32 FMA and the integer paths an i16 or
 * int8 tower would use (docs/PERFORMANCE.md, issue #17).
 *   gcc -O2 bench/cpu_peak.c -o /tmp/cpu_peak && /tmp/cpu_peak
 * Run two copies at once (`/tmp/cpu_peak & /tmp/cpu_peak; wait`) to see both cores.
 *
 * Each loop is written in assembly, twelve independent sums in ymm0-ymm11: an earlier version
 * in intrinsics let GCC keep the integer sums on the stack (or drop unused ones), so it timed
 * store-to-load latency instead of the multipliers (tenth session). The last two loops are the
 * i16 kernel's own instruction mix (crates/clip/src/gemm/avx2.rs): one broadcast per two
 * multiply-adds, and a 3x32 tile's one per four with the weights read from memory. */
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* f32: ymm_i += ymm14 * ymm15 (8 multiply-adds). */
#define FMA(i) "vfmadd231ps %%ymm14, %%ymm15, %%ymm" #i "\n\t"
/* i16: 16 products, summed in pairs into 8 i32, added to ymm_i. */
#define MADD(i) "vpmaddwd %%ymm14, %%ymm15, %%ymm13\n\tvpaddd %%ymm13, %%ymm" #i ", %%ymm" #i "\n\t"
/* i16 products alone, no sums kept (the multiplier's own rate). */
#define MADD_ONLY(i) "vpmaddwd %%ymm14, %%ymm15, %%ymm" #i "\n\t"
/* u8 x i8: 32 products summed in pairs (saturating i16), then in fours into i32. */
#define U8I8(i) \
  "vpmaddubsw %%ymm14, %%ymm15, %%ymm13\n\tvpmaddwd %%ymm12, %%ymm13, %%ymm13\n\t" \
  "vpaddd %%ymm13, %%ymm" #i ", %%ymm" #i "\n\t"
/* The 6x16 kernel: a broadcast of one row's pair, then its two multiply-adds. */
#define BROADCAST_MADD(i) "vpbroadcastd (%1), %%ymm14\n\t" MADD(i)
/* A 3x32 tile: weights read by the multiply from memory, a broadcast per four. */
#define MADD_MEM(i) "vpmaddwd (%1), %%ymm14, %%ymm13\n\tvpaddd %%ymm13, %%ymm" #i ", %%ymm" #i "\n\t"
#define BROADCAST_MADD_MEM(i) "vpbroadcastd 4(%1), %%ymm14\n\t" MADD_MEM(i)
#define TWELVE(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

static int buffer[64] __attribute__((aligned(64)));

#define RUN(name, body, macs)                                                                          \
  {                                                                                                    \
    long n = N;                                                                                        \
    double t = now();                                                                                  \
    __asm__ volatile("vxorps %%ymm12, %%ymm12, %%ymm12\n\tvxorps %%ymm14, %%ymm14, %%ymm14\n\t"       \
                     "vxorps %%ymm15, %%ymm15, %%ymm15\n"                                             \
                     "1:\n\t" body "dec %0\n\tjnz 1b\n\tvzeroupper"                                   \
                     : "+r"(n)                                                                         \
                     : "r"(buffer)                                                                     \
                     : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",      \
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");         \
    double dt = now() - t;                                                                             \
    printf("%-40s %6.1f GMAC/s per core (%.2f ns per 12 instructions)\n", name,                      \
           N * 12.0 * (macs) / dt / 1e9, dt / N * 1e9);                                               \
  }

int main(void) {
  const long N = 100000000;
  RUN("f32 vfmadd231ps", TWELVE(FMA), 8)
  RUN("i16 vpmaddwd + vpaddd", TWELVE(MADD), 16)
  RUN("i16 vpmaddwd alone", TWELVE(MADD_ONLY), 16)
  RUN("u8 x i8 vpmaddubsw + vpmaddwd + vpaddd", TWELVE(U8I8), 32)
  RUN("i16 6x16 kernel mix (broadcast per 2)",
      BROADCAST_MADD(0) MADD(1) BROADCAST_MADD(2) MADD(3) BROADCAST_MADD(4) MADD(5)
      BROADCAST_MADD(6) MADD(7) BROADCAST_MADD(8) MADD(9) BROADCAST_MADD(10) MADD(11), 16)
  RUN("i16 3x32 mix (broadcast per 4, memory)",
      BROADCAST_MADD_MEM(0) MADD_MEM(1) MADD_MEM(2) MADD_MEM(3) BROADCAST_MADD_MEM(4) MADD_MEM(5)
      MADD_MEM(6) MADD_MEM(7) BROADCAST_MADD_MEM(8) MADD_MEM(9) MADD_MEM(10) MADD_MEM(11), 16)
  return 0;
}
