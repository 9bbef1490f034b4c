// Direct harness for the output stage of the AVX-512 VNNI GEMM kernels (kernels/README.md,
// "Shared VNNI output stage, session 7"): the dense q*_conv2d_gemm_8x16c4 and the 2:4
// q*_conv2d_sp24_8x16 of every library given, on 1x1 convolutions with synthetic packed
// weights (as q8_sp24_vnni_harness.cc), one thread, min of REPS calls in rdtsc ticks,
// interleaved in 5 rounds. Prints per shape each library's dense time and its speedup over the
// first library's dense, and each library's 2:4 / its own dense.
//   g++ -O2 -Inative/include bench/native/q8_gemm_vnni_rq_harness.cc -o /tmp/rh -ldl
//   [SHAPES=HxWxKxN,...] [REPS=200] [INT8=1] [ACT=1] /tmp/rh A/libwhittle.so [B/libwhittle.so ...]
// INT8=1: qs8 kernels (x ^ 0x80, ruy rounding) instead of qu8 (gemmlowp); ACT=1: a fused
// activation narrower than the output range (the clamp kept) instead of the full range.
#include <dlfcn.h>
#include <vector>
#include <array>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <x86intrin.h>
#include "whittle/q8_gemm.h"
typedef void (*fn)(const whittle_q8_gemm_params*, const uint8_t*, uint8_t*, void*, int32_t, int32_t, int32_t, int32_t);
static void* al(size_t n){ void* p=aligned_alloc(64,(n+63)/64*64+64); memset(p,1,(n+63)/64*64+64); return p;}
static int r8(int x,int a){return (x+a-1)/a*a;}
struct Setup { whittle_q8_gemm_params p; uint8_t* in; uint8_t* out; void* scratch; int M; };
static Setup make(int H,int W,int K,int N,bool sp, unsigned seed){
  Setup s; memset(&s.p,0,sizeof s.p); auto& p=s.p; srand(seed);
  p.batches=1; p.in_h=H; p.in_w=W; p.in_c=K; p.out_h=H; p.out_w=W; p.out_c=N; p.kh=p.kw=1; p.stride_h=p.stride_w=1; p.dil_h=p.dil_w=1;
  p.k=K; p.kp=sp? r8(K,8): r8(K,4); p.np=r8(N,16); int M=H*W; s.M=M;
  int mb=20*1024/p.kp/8*8; if(mb<8)mb=8; int mm=r8(M,8); if(mb>512)mb=512; if(mb>mm)mb=mm; p.mb=mb;
  const bool i8=getenv("INT8")&&atoi(getenv("INT8")); const bool act=getenv("ACT")&&atoi(getenv("ACT"));
  p.gemmlowp=i8?0:1; p.input_zero_point=3; p.output_offset=5; p.act_min=i8?(act?-100:-128):(act?5:0); p.act_max=i8?(act?100:127):(act?250:255); p.is_unsigned=i8?0:1; p.row_coef= (sp||i8)?0:7; p.x_flip=i8?0x80:0; p.has_left_shift=0;
  size_t wb = sp ? (size_t)p.np/16*(p.kp/8)*64 : (size_t)p.np*p.kp;
  uint8_t* w=(uint8_t*)al(wb); for(size_t i=0;i<wb;i++) w[i]=(uint8_t)(rand()%61-30);
  p.weights=(int64_t)(uintptr_t)w;
  int32_t* ch=(int32_t*)al(9*4*p.np);
  for(int c=0;c<p.np;c++){ int right=7; ch[c]=rand()%1000; ch[p.np+c]=(1<<30)+rand()%(1<<29); ch[2*p.np+c]=0; ch[3*p.np+c]=right; ch[4*p.np+c]=1<<(right-1); ch[5*p.np+c]=0x7fffffff-(1<<(right-1)); ch[6*p.np+c]=1<<(31-right); ch[7*p.np+c]=(1<<right)-1; ch[8*p.np+c]=((1<<right)-1)>>1; }
  p.channel=(int64_t)(uintptr_t)ch;
  if(sp){ size_t mbytes=(size_t)p.np/16*(p.kp/8)*16; uint8_t* meta=(uint8_t*)al(mbytes); for(size_t i=0;i<mbytes;i++) meta[i]=(uint8_t)((rand()%6)|((rand()%6)<<4)); int64_t a=(int64_t)(uintptr_t)meta; memcpy((uint8_t*)&p+128,&a,8); }
  s.in=(uint8_t*)al((size_t)M*K); for(size_t i=0;i<(size_t)M*K;i++) s.in[i]=rand();
  s.out=(uint8_t*)al((size_t)M*N);
  s.scratch=al((size_t)mb*p.kp+64+64+8L*p.kp+64+4*mb+4096);
  return s;
}
static double timeit(fn f, Setup& s, int reps){ double best=1e30; for(int i=0;i<reps;i++){ uint64_t a=__rdtsc(); f(&s.p,s.in,s.out,s.scratch,0,s.M,0,s.p.out_c); double c=(double)(__rdtsc()-a); if(c<best)best=c;} return best;}
int main(int argc,char**argv){
  // argv: lib1 [lib2 ...] ; shapes fixed
  // MobileNet v2 expand / project, person_detect and MobileNet v1 0.25 pointwise layers, two large-K ones.
  int shapes[][4]={{112,112,16,96},{56,56,24,144},{28,28,32,192},{56,56,144,24},{48,48,8,16},{24,24,16,32},{24,24,32,32},{12,12,32,64},{12,12,64,64},{6,6,64,128},{112,112,8,16},{56,56,16,32},{28,28,64,64},{14,14,576,96},{7,7,960,160}};
  std::vector<std::array<int,4>> sv; if(getenv("SHAPES")){ char* e=strdup(getenv("SHAPES")); for(char* t=strtok(e,","); t; t=strtok(NULL,",")){ std::array<int,4> a; sscanf(t,"%dx%dx%dx%d",&a[0],&a[1],&a[2],&a[3]); sv.push_back(a);} } else for(auto& sh: shapes) sv.push_back({sh[0],sh[1],sh[2],sh[3]});
  int nl=argc-1; fn sp[8], de[8];
  for(int l=0;l<nl;l++){ void* h=dlopen(argv[1+l],RTLD_NOW|RTLD_LOCAL); if(!h){printf("%s\n",dlerror());return 1;} const bool i8=getenv("INT8")&&atoi(getenv("INT8")); sp[l]=(fn)dlsym(h,i8?"whittle_qs8_conv2d_sp24_8x16__avx512vnni":"whittle_qu8_conv2d_sp24_8x16__avx512vnni"); de[l]=(fn)dlsym(h,i8?"whittle_qs8_conv2d_gemm_8x16c4__avx512vnni":"whittle_qu8_conv2d_gemm_8x16c4__avx512vnni"); if(!sp[l]||!de[l]){printf("missing symbol in %s\n",argv[1+l]);return 1;} }
  int reps = getenv("REPS")?atoi(getenv("REPS")):200;
  for(auto& sh: sv){ Setup d=make(sh[0],sh[1],sh[2],sh[3],false,1), s=make(sh[0],sh[1],sh[2],sh[3],true,1);
    double td[8], ts[8]; for(int l=0;l<nl;l++) td[l]=ts[l]=1e30;
    for(int round=0; round<5; round++) for(int l=0;l<nl;l++){ double t=timeit(de[l],d,reps/5); if(t<td[l])td[l]=t; double u=timeit(sp[l],s,reps/5); if(u<ts[l])ts[l]=u; }
    printf("%dx%dx%dx%d", sh[0],sh[1],sh[2],sh[3]);
    for(int l=0;l<nl;l++) printf(" | lib%d dense %.0fk %.2fx sp24 %.0fk %.2fx", l, td[l]/1000, td[0]/td[l], ts[l]/1000, td[l]/ts[l]);
    printf("  (lib0 dense %.2f MAC/tsc)\n", (double)sh[0]*sh[1]*sh[2]*sh[3]/td[0]);
  }
}
