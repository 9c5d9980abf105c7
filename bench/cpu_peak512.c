/* The AVX-512 multiply-add peaks, per core, behind issue #17's figures (docs/PERFORMANCE.md):
 * f32 `vfmadd231ps`, bf16 pairs `vdpbf16ps` (f32 sums) and u8×i8 `vpdpbusd` (VNNI, i32 sums),
 * 24 independent accumulators each, as in the 12×32 tower kernels.
 *   gcc -O2 -mavx512f -mavx512bf16 -mavx512vnni bench/cpu_peak512.c -o /tmp/cpu_peak512 && /tmp/cpu_peak512
 * Run two copies at once (`/tmp/cpu_peak512 & /tmp/cpu_peak512; wait`) to see both cores. */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
#define N 100000000L
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  __m512 a[24]; __m512 b=_mm512_set1_ps(0.999f), c=_mm512_set1_ps(0.0001f);
  for(int i=0;i<24;i++) a[i]=_mm512_set1_ps(0.0001f*i);
  double t=now();
  for(long n=0;n<N;n++){
    #pragma GCC unroll 24
    for(int i=0;i<24;i++) a[i]=_mm512_fmadd_ps(a[i],b,c);
  }
  double dt=now()-t; float s=0; for(int i=0;i<24;i++) s+=a[i][0];
  printf("f32 vfmadd231ps zmm: %.1f GFLOP/s/core (%.1f GMAC/s) %f\n", N*24.0*32/dt/1e9, N*24.0*16/dt/1e9, s);
  __m512bh x=(__m512bh)_mm512_set1_epi32(0x3f803f80), w=(__m512bh)_mm512_set1_epi32(0x3a803a80);
  for(int i=0;i<24;i++) a[i]=_mm512_set1_ps(0.0001f*i);
  t=now();
  for(long n=0;n<N;n++){
    #pragma GCC unroll 24
    for(int i=0;i<24;i++) a[i]=_mm512_dpbf16_ps(a[i],x,w);
  }
  dt=now()-t; s=0; for(int i=0;i<24;i++) s+=a[i][0];
  printf("bf16 vdpbf16ps zmm: %.1f GFLOP/s/core (%.1f GMAC/s) %f\n", N*24.0*64/dt/1e9, N*24.0*32/dt/1e9, s);
  __m512i acc[24]; __m512i u=_mm512_set1_epi32(0x01020304), v=_mm512_set1_epi32(0x05060708);
  for(int i=0;i<24;i++) acc[i]=_mm512_setzero_si512();
  t=now();
  for(long n=0;n<N;n++){
    #pragma GCC unroll 24
    for(int i=0;i<24;i++) acc[i]=_mm512_dpbusd_epi32(acc[i],u,v);
  }
  dt=now()-t; long si=0; for(int i=0;i<24;i++) si+=_mm512_reduce_add_epi32(acc[i]);
  printf("u8i8 vpdpbusd zmm: %.1f GOP/s/core (%.1f GMAC/s) %ld\n", N*24.0*128/dt/1e9, N*24.0*64/dt/1e9, si);
  return 0;
}
