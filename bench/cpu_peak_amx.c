/* The AMX bf16 peak per core behind issue #17's figures (docs/PERFORMANCE.md): `tdpbf16ps` on
 * register-resident tiles (no loads), four independent 16×16 f32 accumulators as in the 32×32
 * AMX tower kernel, then the same with the kernel's loads (two activation and two weight tiles
 * per four products, from a 48 KiB L1-resident buffer) to show what tile loads cost.
 *   gcc -O2 -mamx-tile -mamx-bf16 bench/cpu_peak_amx.c -o /tmp/cpu_peak_amx && /tmp/cpu_peak_amx
 * Linux lends the tile data only on request (arch_prctl ARCH_REQ_XCOMP_PERM), asked for first. */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#define N 20000000L
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static uint32_t buf[12288] __attribute__((aligned(64))); /* 48 KiB */
int main(){
  if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */)) {
    puts("AMX: the kernel refused the tile data"); return 1;
  }
  unsigned char cfg[64] __attribute__((aligned(64)));
  memset(cfg, 0, 64); cfg[0] = 1;
  for (int t = 0; t < 8; t++) { cfg[16 + 2*t] = 64; cfg[48 + t] = 16; }
  _tile_loadconfig(cfg);
  for (int i = 0; i < 12288; i++) buf[i] = 0x3c003c00u;
  _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
  _tile_loadd(4, buf, 64); _tile_loadd(5, buf, 64); _tile_loadd(6, buf, 64); _tile_loadd(7, buf, 64);
  double t = now();
  for (long n = 0; n < N; n++) {
    _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7); _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7);
  }
  double dt = now() - t;
  /* one tdpbf16ps: 16 x 16 outputs x 32 bf16 products = 8192 multiply-adds */
  printf("bf16 tdpbf16ps, tiles in registers: %.1f GFLOP/s/core\n", N * 4.0 * 8192 * 2 / dt / 1e9);
  t = now();
  for (long n = 0; n < N / 4; n++) {
    long q = (n % 24) * 256; /* walk the 48 KiB buffer: 24 steps of 1 KiB tiles */
    _tile_loadd(4, buf + q, 64); _tile_loadd(5, buf + (q + 6144) % 12288, 64);
    _tile_loadd(6, buf + (q + 3072) % 12288, 64); _tile_loadd(7, buf + (q + 9216) % 12288, 64);
    _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7); _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7);
  }
  dt = now() - t;
  printf("bf16 tdpbf16ps, 4 tile loads per 4 products (L1): %.1f GFLOP/s/core\n", N / 4 * 4.0 * 8192 * 2 / dt / 1e9);
  _tile_stored(0, buf, 64);
  _tile_release();
  printf("(%u)\n", buf[0]);
  return 0;
}
