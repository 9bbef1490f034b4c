/*
 * The C ABI that Java calls through java.lang.foreign. Kept tiny on purpose: plain C types,
 * no structs passed by value, no callbacks, so a downcall descriptor is all Java needs.
 *
 * WHITTLE_ABI_VERSION changes whenever an exported signature or its meaning changes; Java
 * (dev.whittle.internal.nativelib.NativeLibrary.ABI_VERSION) refuses a library whose
 * whittle_abi_version() differs and runs its Java path instead.
 */
#ifndef WHITTLE_WHITTLE_H_
#define WHITTLE_WHITTLE_H_

#include <stdint.h>

#include "whittle/cpu.h"
#include "whittle/export.h"

#define WHITTLE_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* WHITTLE_ABI_VERSION as compiled into the library. */
WHITTLE_API uint32_t whittle_abi_version(void);

/* Static NUL-terminated text: compiler, flags, ISAs compiled in. Never freed. */
WHITTLE_API const char* whittle_build_info(void);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_WHITTLE_H_ */
