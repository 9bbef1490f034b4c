// Regenerates the expected hashes in GemmlowpOracleTest from gemmlowp itself.
// Build against a checkout of github.com/google/gemmlowp (header-only, scalar path):
//   g++ -O1 -fwrapv -std=c++17 -I <gemmlowp> gemmlowp_oracle.cc -o oracle && ./oracle
// Hashes were produced with gemmlowp commit 16e8662.
#include <cstdio>
#include <cmath>
#include <cstdint>
#include "fixedpoint/fixedpoint.h"
using namespace gemmlowp;
static uint64_t h = 1469598103934665603ULL;
static void mix(int32_t v){ uint32_t u=(uint32_t)v; for(int i=0;i<4;i++){ h^=(u>>(8*i))&0xff; h*=1099511628211ULL; } }
static uint64_t s = 0x9E3779B97F4A7C15ULL;
static int32_t next(){ s ^= s<<13; s ^= s>>7; s ^= s<<17; return (int32_t)(s>>32); }
template<int IB> void expSweep(){ h=1469598103934665603ULL; s=0x9E3779B97F4A7C15ULL;
  for(int i=0;i<200000;i++){ int32_t v=next(); if(v>0) v=-v; mix(exp_on_negative_values(FixedPoint<int32_t,IB>::FromRaw(v)).raw()); }
  printf("exp IB=%d %016llx\n", IB, (unsigned long long)h); }
template<int IB> void logSweep(){ h=1469598103934665603ULL; s=0x9E3779B97F4A7C15ULL;
  for(int i=0;i<200000;i++){ int32_t v=next(); mix(logistic(FixedPoint<int32_t,IB>::FromRaw(v)).raw()); }
  printf("logistic IB=%d %016llx\n", IB, (unsigned long long)h);
  h=1469598103934665603ULL; s=0x9E3779B97F4A7C15ULL;
  for(int i=0;i<200000;i++){ int32_t v=next(); mix(tanh(FixedPoint<int32_t,IB>::FromRaw(v)).raw()); }
  printf("tanh IB=%d %016llx\n", IB, (unsigned long long)h); }
int main(){
  expSweep<0>(); expSweep<3>(); expSweep<5>(); expSweep<6>(); expSweep<12>();
  logSweep<0>(); logSweep<3>(); logSweep<4>(); logSweep<5>();
  h=1469598103934665603ULL; s=0x9E3779B97F4A7C15ULL;
  for(int i=0;i<200000;i++){ int32_t a=next(), b=next(); mix(SaturatingRoundingDoublingHighMul(a,b)); }
  printf("srdhm %016llx\n",(unsigned long long)h);
  h=1469598103934665603ULL; s=0x9E3779B97F4A7C15ULL;
  for(int i=0;i<200000;i++){ int32_t a=next(); int e=(int)((uint32_t)next()%32); mix(RoundingDivideByPOT(a,e)); }
  printf("rdbpot %016llx\n",(unsigned long long)h);
  h=1469598103934665603ULL; s=0x9E3779B97F4A7C15ULL;
  for(int i=0;i<200000;i++){ int32_t a=next(); if(a<0) a=-(a+1); mix(one_over_one_plus_x_for_x_in_0_1(FixedPoint<int32_t,0>::FromRaw(a)).raw()); }
  printf("oneOver %016llx\n",(unsigned long long)h);
  // TFLite MultiplyByQuantizedMultiplier (double rounding) and QuantizeMultiplier via std::frexp/std::round.
  h=1469598103934665603ULL; s=0x9E3779B97F4A7C15ULL;
  for(int i=0;i<200000;i++){ int32_t x=next(); int32_t m=next(); if(m<0) m=-(m+1); int sh=(int)((uint32_t)next()%40)-31; if(sh>0) x>>=sh;
    int ls=sh>0?sh:0, rs=sh>0?0:-sh; mix(RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x*(1<<ls),m),rs)); }
  printf("mbqm %016llx\n",(unsigned long long)h);
  h=1469598103934665603ULL; s=0x9E3779B97F4A7C15ULL;
  for(int i=0;i<200000;i++){ uint32_t hi=(uint32_t)next(), lo=(uint32_t)next(); int e=(int)(hi%80)-60; double m=1.0+ (double)lo/4294967296.0; double d=std::ldexp(m,e); if(hi&0x80000000u) d=-d;
    int shift; double q=std::frexp(d,&shift); long long qf=(long long)std::round(q*(1LL<<31)); if(qf==(1LL<<31)){qf/=2;++shift;} if(shift<-31){shift=0;qf=0;}
    mix((int32_t)qf); mix(shift); }
  printf("quantizeMultiplier %016llx\n",(unsigned long long)h);
  // GetReciprocal as TFLite common.h writes it.
  h=1469598103934665603ULL; s=0x9E3779B97F4A7C15ULL;
  for(int i=0;i<200000;i++){ int32_t x=next(); if(x<=0) x=-(x+1); if(x==0) x=1; int hp=__builtin_clz((uint32_t)x); int nb=12-hp;
    int32_t ssm=(int32_t)(((uint32_t)x<<hp)-((uint32_t)1<<31)); mix(one_over_one_plus_x_for_x_in_0_1(FixedPoint<int32_t,0>::FromRaw(ssm)).raw()); mix(nb); }
  printf("reciprocal %016llx\n",(unsigned long long)h);
  printf("samples exp5(-1)=%d exp0(-1/4)=%d logistic4(1)=%d tanh4(1)=%d tanh4(-1)=%d oneOver(1/2)=%d\n",
    exp_on_negative_values(FixedPoint<int32_t,5>::FromRaw(-(1<<26))).raw(),
    exp_on_negative_values(FixedPoint<int32_t,0>::FromRaw(-(1<<29))).raw(),
    logistic(FixedPoint<int32_t,4>::FromRaw(1<<27)).raw(), tanh(FixedPoint<int32_t,4>::FromRaw(1<<27)).raw(),
    tanh(FixedPoint<int32_t,4>::FromRaw(-(1<<27))).raw(), one_over_one_plus_x_for_x_in_0_1(FixedPoint<int32_t,0>::FromRaw(1<<30)).raw());
}
