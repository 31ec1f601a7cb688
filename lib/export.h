/* Visibility of the names libclat.so exports: the hooked libc calls and
 * the instance marker. Everything else is built with -fvisibility=hidden,
 * and libclat.sym keeps the list closed. */
#ifndef CLAT_EXPORT_H
#define CLAT_EXPORT_H

#define CLAT_EXPORT __attribute__((visibility("default")))

#endif
