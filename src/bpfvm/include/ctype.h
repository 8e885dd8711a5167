/*
 * ctype.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.ctype).
 *
 * C locale.  The tests return glibc's class bits (isalpha('a') == 1024), not just 1.
 */
#ifndef _BPFVM_CTYPE_H
#define _BPFVM_CTYPE_H

int isalnum(int __c);
int isalpha(int __c);
int isascii(int __c);
int isblank(int __c);
int iscntrl(int __c);
int isdigit(int __c);
int isgraph(int __c);
int islower(int __c);
int isprint(int __c);
int ispunct(int __c);
int isspace(int __c);
int isupper(int __c);
int isxdigit(int __c);
int tolower(int __c);
int toupper(int __c);

/*
 * The "C" locale's classes computed inline (as glibc's macros do with its table): a call costs
 * the JIT a host round trip per character otherwise.  The functions above stay for pointers to
 * them and for #undef; both agree for every int (EOF and bytes >= 128 belong to no class).
 */
static inline int __bpfvm_isdigit(int __c) { return (unsigned)__c - '0' < 10; }
static inline int __bpfvm_isupper(int __c) { return (unsigned)__c - 'A' < 26; }
static inline int __bpfvm_islower(int __c) { return (unsigned)__c - 'a' < 26; }
static inline int __bpfvm_isalpha(int __c) { return ((unsigned)__c | 32) - 'a' < 26; }
static inline int __bpfvm_isalnum(int __c) { return __bpfvm_isalpha(__c) || __bpfvm_isdigit(__c); }
static inline int __bpfvm_isxdigit(int __c) { return __bpfvm_isdigit(__c) || ((unsigned)__c | 32) - 'a' < 6; }
static inline int __bpfvm_isspace(int __c) { return __c == ' ' || (unsigned)__c - '\t' < 5; }
static inline int __bpfvm_isblank(int __c) { return __c == ' ' || __c == '\t'; }
static inline int __bpfvm_iscntrl(int __c) { return (unsigned)__c < 0x20 || __c == 0x7f; }
static inline int __bpfvm_isprint(int __c) { return (unsigned)__c - 0x20 < 0x5f; }
static inline int __bpfvm_isgraph(int __c) { return (unsigned)__c - 0x21 < 0x5e; }
static inline int __bpfvm_ispunct(int __c) { return __bpfvm_isgraph(__c) && !__bpfvm_isalnum(__c); }
static inline int __bpfvm_isascii(int __c) { return (unsigned)__c < 0x80; }
static inline int __bpfvm_tolower(int __c) { return __bpfvm_isupper(__c) ? __c + 32 : __c; }
static inline int __bpfvm_toupper(int __c) { return __bpfvm_islower(__c) ? __c - 32 : __c; }

#define isdigit(c) __bpfvm_isdigit(c)
#define isupper(c) __bpfvm_isupper(c)
#define islower(c) __bpfvm_islower(c)
#define isalpha(c) __bpfvm_isalpha(c)
#define isalnum(c) __bpfvm_isalnum(c)
#define isxdigit(c) __bpfvm_isxdigit(c)
#define isspace(c) __bpfvm_isspace(c)
#define isblank(c) __bpfvm_isblank(c)
#define iscntrl(c) __bpfvm_iscntrl(c)
#define isprint(c) __bpfvm_isprint(c)
#define isgraph(c) __bpfvm_isgraph(c)
#define ispunct(c) __bpfvm_ispunct(c)
#define isascii(c) __bpfvm_isascii(c)
#define tolower(c) __bpfvm_tolower(c)
#define toupper(c) __bpfvm_toupper(c)

#endif /* _BPFVM_CTYPE_H */
