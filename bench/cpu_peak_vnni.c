/* VNNI's i16 multiply-add peak against f32 FMAs, per core: what decides whether the i16 kernels
 * on `vpdpwssd` (crates/clip/src/gemm: Avx512I16, AvxVnniI16; eleventh session, issue #17) beat
 * the f32 ones on a CPU. Each loop is assembly on independent sums in registers (intrinsics let
 * GCC keep integer sums on the stack: bench/cpu_peak.c). A loop the CPU cannot run is skipped.
 *   gcc -O2 bench/cpu_peak_vnni.c -o /tmp/cpu_peak_vnni && /tmp/cpu_peak_vnni
 * Run two copies at once (`/tmp/cpu_peak_vnni & /tmp/cpu_peak_vnni; wait`) to see both cores. */
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define TWELVE(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define TWENTY_FOUR(X) TWELVE(X) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)
/* ymm: 8 f32 multiply-adds; 16 i16 products summed in pairs into 8 i32. */
#define FMA_Y(i) "vfmadd231ps %%ymm14, %%ymm15, %%ymm" #i "\n\t"
#define DPWSSD_Y(i) "%{vex%} vpdpwssd %%ymm14, %%ymm15, %%ymm" #i "\n\t"
/* zmm: 16 f32 multiply-adds; 32 i16 products into 16 i32. */
#define FMA_Z(i) "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #i "\n\t"
#define DPWSSD_Z(i) "vpdpwssd %%zmm30, %%zmm31, %%zmm" #i "\n\t"

#define CLOBBERS_Y "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", \
                   "xmm10", "xmm11", "xmm14", "xmm15"
#define CLOBBERS_Z CLOBBERS_Y, "xmm12", "xmm13", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", \
                   "xmm21", "xmm22", "xmm23", "xmm30", "xmm31"

#define RUN(name, zero, body, count, macs, clobbers)                                            \
  {                                                                                             \
    long n = N;                                                                                 \
    double t = now();                                                                           \
    __asm__ volatile(zero "1:\n\t" body "dec %0\n\tjnz 1b\n\tvzeroupper"                         \
                     : "+r"(n)                                                                  \
                     :                                                                          \
                     : clobbers);                                                               \
    double dt = now() - t;                                                                      \
    printf("%-28s %6.1f GMAC/s per core (%.2f ns per %d instructions)\n", name,                 \
           N * (double)(count) * (macs) / dt / 1e9, dt / N * 1e9, count);                       \
  }

/* The zmm loops in a function of their own: clobbering zmm16-31 needs AVX-512 as GCC's target,
 * which must not reach code that runs on CPUs without it. */
__attribute__((target("avx512f"))) static void zmm_loops(const long N, int vnni) {
  RUN("f32 vfmadd231ps zmm", "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31\n",
      TWENTY_FOUR(FMA_Z), 24, 16, CLOBBERS_Z)
  if (vnni)
    RUN("i16 vpdpwssd zmm", "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31\n",
        TWENTY_FOUR(DPWSSD_Z), 24, 32, CLOBBERS_Z)
  else
    printf("no AVX512-VNNI: vpdpwssd zmm skipped\n");
}

int main(void) {
  const long N = 100000000;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("fma"))
    RUN("f32 vfmadd231ps ymm", "vxorps %%ymm14, %%ymm14, %%ymm14\n\tvxorps %%ymm15, %%ymm15, %%ymm15\n",
        TWELVE(FMA_Y), 12, 8, CLOBBERS_Y)
  if (__builtin_cpu_supports("avxvnni"))
    RUN("i16 {vex} vpdpwssd ymm", "vpxor %%ymm14, %%ymm14, %%ymm14\n\tvpxor %%ymm15, %%ymm15, %%ymm15\n",
        TWELVE(DPWSSD_Y), 12, 16, CLOBBERS_Y)
  else
    printf("no AVX-VNNI: {vex} vpdpwssd ymm skipped\n");
  if (__builtin_cpu_supports("avx512f"))
    zmm_loops(N, __builtin_cpu_supports("avx512vnni"));
  else
    printf("no AVX-512: zmm loops skipped\n");
  return 0;
}
