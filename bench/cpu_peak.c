/* The CPU's own multiply-add peaks, per core: f32 FMA and the AVX2 integer paths an int8/i16
 * tower would use (docs/PERFORMANCE.md, issue #17). 12 independent accumulators each.
 *   gcc -O2 -mavx2 -mfma bench/cpu_peak.c -o /tmp/cpu_peak && /tmp/cpu_peak
 * Run two copies at once (`/tmp/cpu_peak & /tmp/cpu_peak; wait`) to see both cores. */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static void fma_peak(void){
  long N=200000000;
  __m256 a[12]; for(int i=0;i<12;i++) a[i]=_mm256_set1_ps(0.0001f*i);
  __m256 b=_mm256_set1_ps(0.999f), c=_mm256_set1_ps(0.0001f);
  double t=now();
  for(long n=0;n<N;n++){
    #pragma GCC unroll 12
    for(int i=0;i<12;i++) a[i]=_mm256_fmadd_ps(a[i],b,c);
  }
  double dt=now()-t; float s=0; for(int i=0;i<12;i++) s+=a[i][0];
  printf("f32 fma: %.1f GFLOP/s = %.1f GMAC/s (%f)\n", N*12.0*16/dt/1e9, N*12.0*8/dt/1e9, s);
}
int main(){
  fma_peak();
  long N=100000000;
  static __attribute__((aligned(32))) unsigned char A[64*32]; for(int i=0;i<64*32;i++)A[i]=i*7;
  static __attribute__((aligned(32))) signed char B[64*32]; for(int i=0;i<64*32;i++)B[i]=i*3-50;
  __m256i acc[12]; for(int i=0;i<12;i++) acc[i]=_mm256_setzero_si256();
  __m256i ones=_mm256_set1_epi16(1);
  double t=now();
  for(long n=0;n<N;n++){
    int o=(n&31)*32;
    __m256i b0=_mm256_load_si256((const __m256i*)(B+o)), b1=_mm256_load_si256((const __m256i*)(B+((o+32)&2047)));
    #pragma GCC unroll 6
    for(int i=0;i<6;i++){ __m256i a=_mm256_set1_epi32(*(const int*)(A+((o+i*4)&2047)));
      acc[2*i]=_mm256_add_epi32(acc[2*i], _mm256_madd_epi16(_mm256_maddubs_epi16(a,b0),ones));
      acc[2*i+1]=_mm256_add_epi32(acc[2*i+1], _mm256_madd_epi16(_mm256_maddubs_epi16(a,b1),ones)); }
  }
  double dt=now()-t; long s=0; for(int i=0;i<12;i++) s+=_mm256_extract_epi32(acc[i],0);
  printf("u8i8 6x16 (maddubs+madd+add): %.1f GMAC/s/core = %.1f 'GFLOP/s' %ld\n", N*12.0*32/dt/1e9, N*12.0*64/dt/1e9, s);
  for(int i=0;i<12;i++) acc[i]=_mm256_setzero_si256();
  t=now();
  for(long n=0;n<N;n++){
    int o=(n&31)*32;
    __m256i b0=_mm256_load_si256((const __m256i*)(B+o)), b1=_mm256_load_si256((const __m256i*)(B+((o+32)&2047)));
    #pragma GCC unroll 6
    for(int i=0;i<6;i++){ __m256i a=_mm256_set1_epi32(*(const int*)(A+((o+i*4)&2047)));
      acc[2*i]=_mm256_add_epi32(acc[2*i], _mm256_madd_epi16(a,b0));
      acc[2*i+1]=_mm256_add_epi32(acc[2*i+1], _mm256_madd_epi16(a,b1)); }
  }
  dt=now()-t; s=0; for(int i=0;i<12;i++) s+=_mm256_extract_epi32(acc[i],0);
  printf("i16 6x16 (madd+add): %.1f GMAC/s/core = %.1f 'GFLOP/s' %ld\n", N*12.0*16/dt/1e9, N*12.0*32/dt/1e9, s);
  for(int i=0;i<12;i++) acc[i]=_mm256_setzero_si256();
  t=now();
  for(long n=0;n<N;n++){
    int o=(n&31)*32;
    __m256i b0=_mm256_load_si256((const __m256i*)(B+o)), b1=_mm256_load_si256((const __m256i*)(B+((o+32)&2047)));
    #pragma GCC unroll 6
    for(int i=0;i<6;i++){ __m256i a=_mm256_set1_epi32(*(const int*)(A+((o+i*4)&2047)));
      acc[2*i]=_mm256_adds_epi16(acc[2*i], _mm256_maddubs_epi16(a,b0));
      acc[2*i+1]=_mm256_adds_epi16(acc[2*i+1], _mm256_maddubs_epi16(a,b1)); }
  }
  dt=now()-t; s=0; for(int i=0;i<12;i++) s+=_mm256_extract_epi32(acc[i],0);
  printf("u8i8 maddubs + i16 add: %.1f GMAC/s/core = %.1f 'GFLOP/s' %ld\n", N*12.0*32/dt/1e9, N*12.0*64/dt/1e9, s);
}
