/*
 * stdio.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.stdio).
 *
 * FILE * values are small integer handles (stdin = 1, stdout = 2, stderr = 3), never pointers
 * to real objects.  Files open only inside the directories the VM grants (vm.fs).
 *
 * printf, fprintf, sprintf, snprintf and dprintf are macros that pack up to 16 integer,
 * character or pointer arguments (see <__bpfvm.h>); the real functions remain declared, so
 * (printf)(...) is compiled to the packed call as well (any number of arguments), and a
 * pointer to one (int (*p)(const char *, ...) = printf) calls vprintf & co.  The
 * vprintf family takes a va_list (see <stdarg.h>).  The scanf family converts %d %i %u %x %o
 * %c %s %[ %n (no floating point); see bpfvm.libc.scanf.
 */
#ifndef _BPFVM_STDIO_H
#define _BPFVM_STDIO_H

#include <__bpfvm.h>

typedef struct __bpfvm_FILE FILE;
typedef long fpos_t;

#define stdin  ((FILE *)1)
#define stdout ((FILE *)2)
#define stderr ((FILE *)3)

#define EOF (-1)
#define BUFSIZ 8192
#define FILENAME_MAX 4096
#define FOPEN_MAX 16
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2

#define L_tmpnam 64
#define TMP_MAX 238328

FILE *fopen(const char *__path, const char *__mode);
FILE *freopen(const char *__path, const char *__mode, FILE *__f);
FILE *tmpfile(void);
char *tmpnam(char *__s);
int setvbuf(FILE *__f, char *__buf, int __mode, size_t __size);
void setbuf(FILE *__f, char *__buf);
int fclose(FILE *__f);
int fflush(FILE *__f);
int fileno(FILE *__f);

int fgetc(FILE *__f);
int getc(FILE *__f);
int getchar(void);
int ungetc(int __c, FILE *__f);
char *fgets(char *__s, int __n, FILE *__f);
ssize_t getline(char **__line, size_t *__n, FILE *__f);
int fputc(int __c, FILE *__f);
int putc(int __c, FILE *__f);
int putchar(int __c);
int fputs(const char *__s, FILE *__f);
int puts(const char *__s);

size_t fread(void *__ptr, size_t __size, size_t __n, FILE *__f);
size_t fwrite(const void *__ptr, size_t __size, size_t __n, FILE *__f);
int fseek(FILE *__f, long __offset, int __whence);
long ftell(FILE *__f);
void rewind(FILE *__f);
int feof(FILE *__f);
int ferror(FILE *__f);
void clearerr(FILE *__f);

int remove(const char *__path);
int rename(const char *__old, const char *__new);
void perror(const char *__s);

int printf(const char *__fmt, ...) __BPFVM_PRINTF(1, 2);
int fprintf(FILE *__f, const char *__fmt, ...) __BPFVM_PRINTF(2, 3);
int dprintf(int __fd, const char *__fmt, ...) __BPFVM_PRINTF(2, 3);
int sprintf(char *__s, const char *__fmt, ...) __BPFVM_PRINTF(2, 3);
int snprintf(char *__s, size_t __n, const char *__fmt, ...) __BPFVM_PRINTF(3, 4);

/* A va_list is the address of the next 8-byte argument slot (see <stdarg.h>). */
int vprintf(const char *__fmt, __builtin_va_list __ap) __BPFVM_PRINTF(1, 0);
int vfprintf(FILE *__f, const char *__fmt, __builtin_va_list __ap) __BPFVM_PRINTF(2, 0);
int vdprintf(int __fd, const char *__fmt, __builtin_va_list __ap) __BPFVM_PRINTF(2, 0);
int vsprintf(char *__s, const char *__fmt, __builtin_va_list __ap) __BPFVM_PRINTF(2, 0);
int vsnprintf(char *__s, size_t __n, const char *__fmt, __builtin_va_list __ap) __BPFVM_PRINTF(3, 0);

int sscanf(const char *__s, const char *__fmt, ...) __attribute__((__format__(__scanf__, 2, 3)));
int scanf(const char *__fmt, ...) __attribute__((__format__(__scanf__, 1, 2)));
int fscanf(FILE *__f, const char *__fmt, ...) __attribute__((__format__(__scanf__, 2, 3)));
int vsscanf(const char *__s, const char *__fmt, __builtin_va_list __ap)
    __attribute__((__format__(__scanf__, 2, 0)));
int vscanf(const char *__fmt, __builtin_va_list __ap) __attribute__((__format__(__scanf__, 1, 0)));
int vfscanf(FILE *__f, const char *__fmt, __builtin_va_list __ap)
    __attribute__((__format__(__scanf__, 2, 0)));

int __bpfvm_printf(const char *__fmt, const unsigned long long *__argv, int __nargs);
int __bpfvm_fprintf(FILE *__f, const char *__fmt, const unsigned long long *__argv, int __nargs);
int __bpfvm_dprintf(int __fd, const char *__fmt, const unsigned long long *__argv, int __nargs);
int __bpfvm_sprintf(char *__s, const char *__fmt, const unsigned long long *__argv, int __nargs);
int __bpfvm_snprintf(char *__s, size_t __n, const char *__fmt, const unsigned long long *__argv,
                     int __nargs);

#define printf(...) \
    (__BPFVM_CHECK(printf(__VA_ARGS__)), __BPFVM_CALL0(__bpfvm_printf, __VA_ARGS__))
#define fprintf(f, ...) \
    (__BPFVM_CHECK(fprintf(f, __VA_ARGS__)), __BPFVM_CALL1(__bpfvm_fprintf, f, __VA_ARGS__))
#define dprintf(fd, ...) \
    (__BPFVM_CHECK(dprintf(fd, __VA_ARGS__)), __BPFVM_CALL1(__bpfvm_dprintf, fd, __VA_ARGS__))
#define sprintf(s, ...) \
    (__BPFVM_CHECK(sprintf(s, __VA_ARGS__)), __BPFVM_CALL1(__bpfvm_sprintf, s, __VA_ARGS__))
#define snprintf(s, n, ...) \
    (__BPFVM_CHECK(snprintf(s, n, __VA_ARGS__)), __BPFVM_CALL2(__bpfvm_snprintf, s, n, __VA_ARGS__))

#endif /* _BPFVM_STDIO_H */
