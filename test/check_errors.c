/* check_errors.c - the code space: each code tells its class, native
 * number, name and message by itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "testutil.h"

START_TEST(test_os_code_maps_back_to_errno_name_and_message)
{
    int code = -ECONNREFUSED;
    ck_assert_int_eq(polysock_errclass(code), POLYSOCK_ERRCLASS_OS);
    ck_assert_int_eq(polysock_errno(code), ECONNREFUSED);
    ck_assert_str_eq(polysock_errname(code), "ECONNREFUSED");
    ck_assert_str_eq(polysock_strerror(code), "Connection refused");
    ck_assert_str_eq(polysock_errclass_name(polysock_errclass(code)), "os");
}
END_TEST

START_TEST(test_gai_code_keeps_the_eai_value)
{
    int code = -(POLYSOCK_GAI_BASE - EAI_NONAME);
    ck_assert_int_eq(polysock_errclass(code), POLYSOCK_ERRCLASS_GAI);
    ck_assert_int_eq(polysock_errno(code), EAI_NONAME);
    ck_assert_str_eq(polysock_errname(code), "EAI_NONAME");
    ck_assert_str_eq(polysock_strerror(code), gai_strerror(EAI_NONAME));
    ck_assert_str_eq(polysock_errclass_name(polysock_errclass(code)), "gai");
}
END_TEST

START_TEST(test_herror_code_keeps_h_errno)
{
    int code = -(POLYSOCK_HERROR_BASE + HOST_NOT_FOUND);
    ck_assert_int_eq(polysock_errclass(code), POLYSOCK_ERRCLASS_HERROR);
    ck_assert_int_eq(polysock_errno(code), HOST_NOT_FOUND);
    ck_assert_str_eq(polysock_errname(code), "HOST_NOT_FOUND");
    ck_assert_str_eq(polysock_strerror(code), hstrerror(HOST_NOT_FOUND));
}
END_TEST

START_TEST(test_timeout_is_its_own_class_named_etimedout)
{
    ck_assert_int_eq(polysock_errclass(POLYSOCK_ETIMEOUT), POLYSOCK_ERRCLASS_TIMEOUT);
    ck_assert_int_eq(polysock_errno(POLYSOCK_ETIMEOUT), ETIMEDOUT);
    ck_assert_str_eq(polysock_errname(POLYSOCK_ETIMEOUT), "ETIMEDOUT");
    ck_assert_str_eq(polysock_strerror(POLYSOCK_ETIMEOUT), "timed out");
}
END_TEST

START_TEST(test_bad_handle_reports_ebadf)
{
    ck_assert_int_eq(polysock_errclass(POLYSOCK_EBADHANDLE), POLYSOCK_ERRCLASS_BADHANDLE);
    ck_assert_int_eq(polysock_errno(POLYSOCK_EBADHANDLE), EBADF);
    ck_assert_int_eq(polysock_errclass(POLYSOCK_EWRONGKIND), POLYSOCK_ERRCLASS_BADHANDLE);
}
END_TEST

/* Every argument error has the class its Python exception needs. */
START_TEST(test_argument_errors_have_python_classes)
{
    static const struct { int code; int cls; } rows[] = {
        {POLYSOCK_ENULL, POLYSOCK_ERRCLASS_TYPE},
        {POLYSOCK_EPORT, POLYSOCK_ERRCLASS_OVERFLOW},
        {POLYSOCK_ERANGE, POLYSOCK_ERRCLASS_OVERFLOW},
        {POLYSOCK_EVALUE, POLYSOCK_ERRCLASS_VALUE},
        {POLYSOCK_ETIMEOUTVAL, POLYSOCK_ERRCLASS_VALUE},
        {POLYSOCK_EBUFSIZE, POLYSOCK_ERRCLASS_VALUE},
        {POLYSOCK_EPACKEDLEN, POLYSOCK_ERRCLASS_VALUE},
        {POLYSOCK_EFAMILY, POLYSOCK_ERRCLASS_VALUE},
        {POLYSOCK_EEMBEDDEDNUL, POLYSOCK_ERRCLASS_TYPE},
        {POLYSOCK_EADDRTYPE, POLYSOCK_ERRCLASS_TYPE},
        {POLYSOCK_EFAMILYMISMATCH, POLYSOCK_ERRCLASS_ERROR},
        {POLYSOCK_EINETADDR, POLYSOCK_ERRCLASS_ERROR},
        {POLYSOCK_EPACKED, POLYSOCK_ERRCLASS_ERROR},
        {POLYSOCK_EPATHLEN, POLYSOCK_ERRCLASS_ERROR},
        {POLYSOCK_ENOPROTO, POLYSOCK_ERRCLASS_ERROR},
        {POLYSOCK_ENOSERVICE, POLYSOCK_ERRCLASS_ERROR},
        {POLYSOCK_ENOPORTSVC, POLYSOCK_ERRCLASS_ERROR},
        {POLYSOCK_EBUFLEN, POLYSOCK_ERRCLASS_ERROR},
        {POLYSOCK_ETOOSMALL, POLYSOCK_ERRCLASS_VALUE},
        {POLYSOCK_EMULTIADDR, POLYSOCK_ERRCLASS_ERROR},
        {POLYSOCK_EINDEX, POLYSOCK_ERRCLASS_VALUE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ck_assert_msg(polysock_errclass(rows[i].code) == rows[i].cls,
                      "%s has class %d", polysock_errname(rows[i].code),
                      polysock_errclass(rows[i].code));
        ck_assert_int_eq(polysock_errno(rows[i].code), 0);
        ck_assert_int_eq(strncmp(polysock_errname(rows[i].code), "POLYSOCK_E", 10), 0);
        ck_assert_str_ne(polysock_strerror(rows[i].code), "unknown polysock error code");
    }
}
END_TEST

START_TEST(test_library_codes_have_distinct_names)
{
    for (int a = POLYSOCK_ETIMEOUT; a >= POLYSOCK_EFAMILYMISMATCH; a--)
        for (int b = a - 1; b >= POLYSOCK_EFAMILYMISMATCH; b--)
            ck_assert_str_ne(polysock_errname(a), polysock_errname(b));
}
END_TEST

START_TEST(test_unknown_codes_are_named_not_crashed)
{
    static const int codes[] = {-30999, -39999, -99999, 1, 12345, -2147483647 - 1};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        ck_assert_int_eq(polysock_errclass(codes[i]), POLYSOCK_ERRCLASS_UNKNOWN);
        ck_assert_ptr_nonnull(polysock_strerror(codes[i]));
        ck_assert_ptr_nonnull(polysock_errname(codes[i]));
    }
    ck_assert_str_eq(polysock_errclass_name(-1), "unknown");
    ck_assert_str_eq(polysock_errclass_name(99), "unknown");
    ck_assert_int_eq(polysock_errclass(0), POLYSOCK_ERRCLASS_NONE);
    ck_assert_str_eq(polysock_errname(0), "OK");
}
END_TEST

START_TEST(test_version_matches_the_header)
{
    ck_assert_int_eq(polysock_version_number(),
                     POLYSOCK_VERSION_MAJOR * 10000 + POLYSOCK_VERSION_MINOR * 100 +
                         POLYSOCK_VERSION_PATCH);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", POLYSOCK_VERSION_MAJOR,
             POLYSOCK_VERSION_MINOR, POLYSOCK_VERSION_PATCH);
    ck_assert_str_eq(polysock_version(), expect);
}
END_TEST

Suite *errors_suite(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("codes");
    tcase_add_test(tc, test_os_code_maps_back_to_errno_name_and_message);
    tcase_add_test(tc, test_gai_code_keeps_the_eai_value);
    tcase_add_test(tc, test_herror_code_keeps_h_errno);
    tcase_add_test(tc, test_timeout_is_its_own_class_named_etimedout);
    tcase_add_test(tc, test_bad_handle_reports_ebadf);
    tcase_add_test(tc, test_argument_errors_have_python_classes);
    tcase_add_test(tc, test_library_codes_have_distinct_names);
    tcase_add_test(tc, test_unknown_codes_are_named_not_crashed);
    tcase_add_test(tc, test_version_matches_the_header);
    suite_add_tcase(s, tc);
    return s;
}
