/* Symbol visibility: the library is built with -fvisibility=hidden, so only what is marked
 * WHITTLE_API is in the dynamic symbol table that Java's SymbolLookup searches. */
#ifndef WHITTLE_EXPORT_H_
#define WHITTLE_EXPORT_H_

#if defined(_WIN32)
#  if defined(WHITTLE_BUILDING_LIBRARY)
#    define WHITTLE_API __declspec(dllexport)
#  else
#    define WHITTLE_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define WHITTLE_API __attribute__((visibility("default")))
#else
#  define WHITTLE_API
#endif

#endif /* WHITTLE_EXPORT_H_ */
