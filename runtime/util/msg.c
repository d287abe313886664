/* msg.c - a tiny formatter for error messages. The runtime uses no stdio:
 * some embedded C libraries allocate inside snprintf. Supports %s, %.*s,
 * %d, %u, %ld, %lu, %lld, %llu, %zu, %c and %%. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/model.h"

typedef struct out {
    char *buf;
    size_t len, pos;
} out;

static void put_char(out *o, char c)
{
    if (o->pos + 1 < o->len)
        o->buf[o->pos++] = c;
}

static void put_str(out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++)
        put_char(o, s[i]);
}

static void put_unsigned(out *o, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put_char(o, tmp[--n]);
}

static void put_signed(out *o, long long v)
{
    if (v < 0) {
        put_char(o, '-');
        put_unsigned(o, 0ull - (unsigned long long)v);
    } else {
        put_unsigned(o, (unsigned long long)v);
    }
}

void tr_msg(char *buf, size_t len, const char *fmt, ...)
{
    if (buf == NULL || len == 0)
        return;
    out o = {buf, len, 0};
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put_char(&o, *p);
            continue;
        }
        p++;
        if (*p == '%') {
            put_char(&o, '%');
        } else if (*p == 'c') {
            put_char(&o, (char)va_arg(ap, int));
        } else if (*p == 's') {
            const char *s = va_arg(ap, const char *);
            put_str(&o, s ? s : "(null)", (size_t)-1);
        } else if (p[0] == '.' && p[1] == '*' && p[2] == 's') {
            int n = va_arg(ap, int);
            const char *s = va_arg(ap, const char *);
            put_str(&o, s ? s : "(null)", n < 0 ? 0 : (size_t)n);
            p += 2;
        } else if (*p == 'd') {
            put_signed(&o, va_arg(ap, int));
        } else if (*p == 'u') {
            put_unsigned(&o, va_arg(ap, unsigned));
        } else if (*p == 'z' && p[1] == 'u') {
            put_unsigned(&o, va_arg(ap, size_t));
            p++;
        } else if (*p == 'l' && p[1] == 'l' && (p[2] == 'd' || p[2] == 'u')) {
            if (p[2] == 'd')
                put_signed(&o, va_arg(ap, long long));
            else
                put_unsigned(&o, va_arg(ap, unsigned long long));
            p += 2;
        } else if (*p == 'l' && (p[1] == 'd' || p[1] == 'u')) {
            if (p[1] == 'd')
                put_signed(&o, va_arg(ap, long));
            else
                put_unsigned(&o, va_arg(ap, unsigned long));
            p++;
        } else {
            put_char(&o, '?'); /* unknown conversion: never read a vararg */
            if (*p == 0)
                break;
        }
    }
    va_end(ap);
    o.buf[o.pos] = 0;
}
